// Registers the counter as a service kind that scenario files can name
// (`backends { service: "counter" }`, `load { service: "counter" }`). This
// file is all it takes: link it into a binary (//examples/counter:sim) and
// the simulator, the scenario layer and the live stack run the counter.
#include "absl/strings/str_cat.h"
#include "examples/counter/counter.pb.h"
#include "examples/counter/counter_service.h"
#include "scenario/services.h"

namespace saludo::counter {
namespace {

client::Workload AddOne(const std::string& nombre) {
  client::Workload w;
  w.method = kAddMethod;
  AddRequest request;
  request.set_client(nombre.substr(0, kMaxClientBytes));
  request.set_amount(1);
  w.request = [bytes = request.SerializeAsString()](int64_t) { return bytes; };
  w.read_reply = [](const std::string& bytes, client::CallRecord* record) {
    AddReply reply;
    if (!reply.ParseFromString(bytes)) return false;
    record->server_id = reply.server_id();
    record->mensaje =
        absl::StrCat("total ", reply.total(), " calls ", reply.calls());
    return true;
  };
  return w;
}

const bool kRegistered = scenario::RegisterServiceKind([] {
  scenario::ServiceKind kind;
  kind.name = "counter";
  kind.boot = CounterBoot;
  kind.has_control = false;
  kind.live_binary = "saludo_sim/examples/counter/counter_server";
  kind.live_args = {"--id={id}", "--port={port}", "--host={host}"};
  kind.live_ready = "counter {id} listening on";
  kind.workload = AddOne;
  return kind;
}());

}  // namespace
}  // namespace saludo::counter
