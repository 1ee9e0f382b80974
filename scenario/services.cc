#include "scenario/services.h"

#include <map>
#include <utility>

#include "runtime/check.h"
#include "services/saludo_server.h"

namespace saludo::scenario {
namespace {

std::map<std::string, ServiceKind>& Registry() {
  static auto* kinds = [] {
    auto* m = new std::map<std::string, ServiceKind>();
    ServiceKind saludo;
    saludo.name = "saludo";
    saludo.boot = [](int server_id) {
      services::SaludoServerOptions options;
      options.server_id = server_id;
      return services::SaludoServerBoot(options);
    };
    saludo.has_control = true;
    saludo.live_binary = "saludo_sim/services/saludo_server";
    saludo.live_args = {"--id={id}",     "--port={port}",
                        "--host={host}", "--log_calls=false",
                        "--control",     "--control_port={control_port}"};
    saludo.live_ready = "servidor {id} listening on";
    // No scenario output shows a reply's text (reports give the server and
    // the status), so the records do not keep one.
    saludo.workload = client::SaludoWorkloadWithoutText;
    (*m)[saludo.name] = std::move(saludo);
    return m;
  }();
  return *kinds;
}

}  // namespace

bool RegisterServiceKind(ServiceKind kind) {
  SALUDO_CHECK(!kind.name.empty() && kind.boot && kind.workload);
  const bool added = Registry().emplace(kind.name, kind).second;
  SALUDO_CHECK(added && "a service kind of that name is registered already");
  return true;
}

const ServiceKind* FindServiceKind(const std::string& name) {
  auto it = Registry().find(name);
  return it == Registry().end() ? nullptr : &it->second;
}

std::vector<std::string> ServiceKindNames() {
  std::vector<std::string> names;
  for (const auto& [name, kind] : Registry()) names.push_back(name);
  return names;
}

}  // namespace saludo::scenario
