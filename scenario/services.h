// The service kinds a scenario's backends can run, by name. "saludo" (the
// seed's server) is built in; a user's service registers its own kind from a
// file linked into their binary (examples/counter does), and a scenario
// names it in `backends { service: "..." }` and `load { service: "..." }`.
// Nothing else in the simulator, the scenario layer or the live stack
// changes for a new service.
#ifndef SALUDO_SCENARIO_SERVICES_H_
#define SALUDO_SCENARIO_SERVICES_H_

#include <functional>
#include <string>
#include <vector>

#include "client/load_client.h"
#include "runtime/host.h"

namespace saludo::scenario {

struct ServiceKind {
  std::string name;  // as a scenario names it: "saludo"
  // The host of a backend with `server_id`, booted in the simulator (and by
  // the live binary, which should use the same boot function).
  std::function<runtime::BootFn(int server_id)> boot;
  // True if its hosts serve the control service (proto/control.proto):
  // only then do hang, slow, errors and clear_faults apply to them.
  bool has_control = false;
  // Live: the server binary as a runfiles path ("saludo_sim/services/
  // saludo_server"), its arguments with "{id}", "{port}", "{host}" and
  // "{control_port}" to fill in (stack::ServerCommand), and the start of the
  // line it prints once listening, followed by HOST:PORT (and, with a
  // control service, "(control HOST:PORT)"); "{id}" is filled in there too.
  std::string live_binary;
  std::vector<std::string> live_args;
  std::string live_ready;
  // What a client of this service sends; `nombre` is the load's text.
  std::function<client::Workload(const std::string& nombre)> workload;
};

// Adds `kind`; call it from a static initialiser (see examples/counter).
// Returns true so it can initialise a static. REQUIRES: a new name, every
// field set (live fields may be empty when the kind never runs live).
bool RegisterServiceKind(ServiceKind kind);

// The kind called `name`, or nullptr.
const ServiceKind* FindServiceKind(const std::string& name);

// Every registered name, sorted.
std::vector<std::string> ServiceKindNames();

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_SERVICES_H_
