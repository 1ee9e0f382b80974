// Loads and validates a scenario file (proto/scenario.proto, text format).
// Every problem is reported with file:line:column, the field path and what
// was expected: unknown fields, bad durations, unknown nodes, a balancer
// configuration that does not load or names other backends, and faults that
// contradict each other. Nothing is defaulted silently except what the
// schema documents.
#ifndef SALUDO_SIM_SCENARIO_LOADER_H_
#define SALUDO_SIM_SCENARIO_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/load_client.h"
#include "nginx/config/twin_config.h"
#include "proto/scenario.pb.h"
#include "sim/distribution.h"

namespace saludo::sim {

struct LinkSpec {
  Distribution latency = Distribution::Fixed(absl::Microseconds(50));
  double loss = 0;
  double duplicate = 0;
};

struct ScenarioFault {
  absl::Duration at;
  std::string node;
  scenario::Fault::KindCase kind;
  absl::Duration duration;                        // pause, hang
  absl::Duration delay;                           // slow
  absl::Duration shift;                           // clock_offset, clock_jump
  double ppm = 0;                                 // clock_drift
  absl::StatusCode code = absl::StatusCode::kOk;  // errors
  double rate = 0;                                // errors
  std::string Describe() const;
};

// The twin's node name in every scenario.
inline constexpr char kNginxNode[] = "nginx";

struct LoadedScenario {
  std::string path;
  scenario::Scenario proto;
  std::string name;
  uint64_t default_seed = 1;
  absl::Duration duration;
  std::string nginx_path;
  nginx::TwinConfig nginx;
  struct Backend {
    std::string name;
    int server_id;
    std::string address;
  };
  std::vector<Backend> backends;
  struct Client {
    std::string name;
    client::LoadOptions load;
    absl::Duration start;
  };
  std::vector<Client> clients;
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
  struct Property {
    scenario::Property::KindCase kind;
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
  };
  std::vector<Property> properties;
};

absl::StatusOr<LoadedScenario> LoadScenario(const std::string& path);
// `text` named `path` in errors; relative paths resolve against `path`'s
// directory.
absl::StatusOr<LoadedScenario> LoadScenarioText(const std::string& text,
                                                const std::string& path);

// Parses "1.5s"-style durations (Abseil syntax).
bool ParseScenarioDuration(const std::string& text, absl::Duration* out);

}  // namespace saludo::sim

#endif  // SALUDO_SIM_SCENARIO_LOADER_H_
