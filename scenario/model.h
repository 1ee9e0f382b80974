// A scenario as loaded and validated (loader.h makes one from a file): the
// topology, the load, the network, the faults on a timeline and the
// properties, with every value parsed into its unit. Both targets (the
// simulator and the live stack, target.h) run this same model.
#ifndef SALUDO_SCENARIO_MODEL_H_
#define SALUDO_SCENARIO_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/load_client.h"
#include "nginx/config/twin_config.h"
#include "proto/scenario.pb.h"
#include "sim/distribution.h"

namespace saludo::scenario {

// The balancer's node name in every scenario.
inline constexpr char kNginxNode[] = "nginx";

// The most calls one run of a scenario may start (all clients together):
// checked at load where it can be computed, and a guard on every load.
inline constexpr int64_t kMaxCallsPerRun = 2000000;

struct LinkSpec {
  sim::Distribution latency = sim::Distribution::Fixed(absl::Microseconds(50));
  double loss = 0;       // in [0, 1]
  double duplicate = 0;  // in [0, 1]
};

// One fault of the timeline. Which fields mean something depends on `kind`
// (faults.h's table says, per kind).
struct ScenarioFault {
  absl::Duration at;
  std::string node;
  Fault::KindCase kind = Fault::KIND_NOT_SET;
  absl::Duration duration;                        // pause, hang
  absl::Duration delay;                           // slow
  absl::Duration shift;                           // clock_offset, clock_jump
  double ppm = 0;                                 // clock_drift
  absl::StatusCode code = absl::StatusCode::kOk;  // errors
  double rate = 0;                                // errors
  std::string peer;                               // latency_spike, loss_burst
  sim::Distribution latency = sim::Distribution::Fixed(absl::ZeroDuration());
  double loss = 0;                                // loss_burst
  bool one_way = false;                           // latency_spike, loss_burst
  // "2s server1: hang 41s"
  std::string Describe() const;
};

// One property, parsed. Which fields mean something depends on `kind`
// (properties.h's table says, per kind).
struct PropertySpec {
  Property::KindCase kind = Property::KIND_NOT_SET;
  std::string label;  // e.g. "latency p99 <= 5ms"
  std::vector<std::string> backends;
  std::vector<double> weights;
  double tolerance = 0;
  absl::Duration from, until;
  double at_least = 0;
  std::string client;
  double percentile = 0;
  absl::Duration at_most;
  bool successful_only = false;
  absl::Duration slack;
  int attempts_at_most = 0;
};

// The chaos section, parsed (scenario/chaos.h draws from it).
struct ChaosSpec {
  struct Kind {
    Fault fault;  // the kind and its fixed parameters
    double per_minute = 0;
    sim::Distribution duration = sim::Distribution::Fixed(absl::Seconds(1));
    std::vector<std::string> nodes;  // never empty once loaded
  };
  struct Cut {
    double per_minute = 0;
    sim::Distribution duration = sim::Distribution::Fixed(absl::Seconds(1));
    bool one_way = false;
    std::vector<std::string> backends;  // never empty once loaded
  };
  std::vector<Kind> faults;
  std::vector<Cut> partitions;
  bool swarm = false;
  int max_down = 0;  // 0: no limit
  absl::Duration start, end;
  bool empty() const { return faults.empty() && partitions.empty(); }
};

struct LoadedScenario {
  std::string path;
  Scenario proto;
  std::string name;
  uint64_t default_seed = 1;
  absl::Duration duration;
  std::string nginx_path;
  nginx::TwinConfig nginx;
  struct Backend {
    std::string name;
    int server_id;
    std::string address;             // as written in the nginx upstream
    std::string service = "saludo";  // a registered kind (services.h)
  };
  std::vector<Backend> backends;
  struct Client {
    std::string name;
    client::LoadOptions load;  // load.workload is the service's
    absl::Duration start;
    std::string service = "saludo";
    int target_port = 0;  // nginx's listen port; 0: nginx::DefaultPort
  };
  std::vector<Client> clients;
  bool has_link_model = false;  // the file sets latency, loss or duplication
  LinkSpec default_link;
  struct LinkOverride {
    std::string from, to;
    LinkSpec link;
  };
  std::vector<LinkOverride> links;
  struct Partition {
    std::string a, b;
    absl::Duration start, duration;
    bool one_way;
  };
  std::vector<Partition> partitions;
  std::vector<ScenarioFault> faults;  // in time order (stable)
  using Property = PropertySpec;
  std::vector<PropertySpec> properties;
  ChaosSpec chaos;

  // When the last call may still be in flight: the later of the scenario's
  // duration and every load's end, plus the longest deadline.
  absl::Duration LastCallEnd() const;
};

// Shortens a scenario to `limit` (its duration, its loads; faults after it
// are dropped). No-op if it is shorter already.
void TruncateScenario(LoadedScenario* scenario, absl::Duration limit);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_MODEL_H_
