// Loads and validates a scenario file (proto/scenario.proto, text format).
// Every problem is reported with file:line:column, the field path and what
// was expected: unknown fields, bad durations and numbers out of range,
// unknown nodes, a balancer configuration that does not load or names other
// backends, and faults that contradict each other. Nothing is defaulted
// silently except what the schema documents. One function per section:
// topology and load here, the network here, faults in faults.h, properties
// in properties.h.
#ifndef SALUDO_SCENARIO_LOADER_H_
#define SALUDO_SCENARIO_LOADER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "scenario/model.h"

namespace saludo::scenario {

// A check of the nginx file before the twin reads it (the `sim` tool runs
// `nginx -t`): its error is reported at topology.nginx_config.
using NginxCheck = std::function<absl::Status(const std::string& nginx_path)>;

absl::StatusOr<LoadedScenario> LoadScenario(const std::string& path,
                                            const NginxCheck& check = nullptr);
// `text` named `path` in errors; relative paths resolve against `path`'s
// directory.
absl::StatusOr<LoadedScenario> LoadScenarioText(
    const std::string& text, const std::string& path,
    const NginxCheck& check = nullptr);

// Parses protobuf text format into `out`; INVALID_ARGUMENT with
// path:line:column and what was wrong. `tree` (optional) gets each field's
// location.
absl::Status ParseTextProto(
    const std::string& text, const std::string& path,
    google::protobuf::Message* out,
    google::protobuf::TextFormat::ParseInfoTree* tree = nullptr);

// Parses "1.5s"-style durations (Abseil syntax): >= 0 and finite.
bool ParseScenarioDuration(const std::string& text, absl::Duration* out);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_LOADER_H_
