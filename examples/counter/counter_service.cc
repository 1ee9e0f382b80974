#include "examples/counter/counter_service.h"

#include "absl/strings/str_cat.h"
#include "examples/counter/counter.pb.h"
#include "runtime/check.h"
#include "runtime/typed_rpc.h"

namespace saludo::counter {

CounterService::CounterService(int server_id) : server_id_(server_id) {
  SALUDO_CHECK(server_id >= 1);
}

void CounterService::RegisterWith(runtime::HandlerRegistry& registry) {
  runtime::RegisterUnary<AddRequest, AddReply>(
      registry, kAddMethod,
      [this](const runtime::ServerCall&, const AddRequest& request,
             runtime::TypedResponder<AddReply> respond) {
        if (request.amount() < 0 || request.amount() > kMaxAmount) {
          respond(absl::InvalidArgumentError(
                      absl::StrCat("amount must be in [0, ", kMaxAmount,
                                   "], got ", request.amount())),
                  AddReply());
          return;
        }
        if (request.client().size() > kMaxClientBytes) {
          respond(absl::InvalidArgumentError(absl::StrCat(
                      "client must be at most ", kMaxClientBytes, " bytes")),
                  AddReply());
          return;
        }
        AddReply reply;
        reply.set_server_id(server_id_);
        {
          runtime::MutexLock lock(&mu_);
          total_ += request.amount();
          ++calls_;
          reply.set_total(total_);
          reply.set_calls(calls_);
        }
        respond(absl::OkStatus(), reply);
      });
}

CounterHost::CounterHost(const runtime::HostContext& host, int server_id)
    : service_(server_id) {
  SALUDO_CHECK(host.registry != nullptr);
  service_.RegisterWith(*host.registry);
}

runtime::BootFn CounterBoot(int server_id) {
  return [server_id](const runtime::HostContext& host) {
    return std::make_unique<CounterHost>(host, server_id);
  };
}

}  // namespace saludo::counter
