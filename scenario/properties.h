// The property kinds, in one table: how each is read from a file, what
// evidence it needs (target.h's Evidence), and how it is checked against
// what a target observed. A target without the evidence gets SKIPPED with
// its reason, never a guess.
#ifndef SALUDO_SCENARIO_PROPERTIES_H_
#define SALUDO_SCENARIO_PROPERTIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "scenario/model.h"
#include "scenario/target.h"
#include "scenario/validator.h"

namespace saludo::scenario {

struct Verdict {
  Property::KindCase kind = Property::KIND_NOT_SET;
  std::string property;  // the label
  bool holds = true;
  bool skipped = false;  // could not be checked here; `measured` says why
  std::string measured;
  std::string bound;
  std::string first_violation;  // empty when it holds
  // What in the configuration made it fail, when the check can name it
  // ("max_fails=0"); part of the failure's signature (runner.h).
  std::string cause;
  // When the first offending call started (scenario time), if there is one.
  std::optional<absl::Duration> first_at;
};

// What a check sees: the scenario, the observations, and the run's label
// ("seed 3", "live") for messages.
struct CheckInput {
  const LoadedScenario& scenario;
  const Observations& observed;
  const std::string& run_label;
  uint64_t seed;
};

// One call in a verdict's words: "call #3 of client started at 2s:
// UNAVAILABLE after 1.000ms (seed 7)" (the server for a call that worked).
std::string CallText(const ScenarioCall& c, const CheckInput& in);

// When nginx's passive health check kept a backend out, as the attempts in
// the balancer's log show: from the end of its max_fails-th failure in a
// row, for fail_timeout (what the circuit_breaker property checks against).
// By backend (upstream order), then time.
struct BreakerWindow {
  std::string address;  // as written in the upstream
  absl::Duration from, until;
};
std::vector<BreakerWindow> BreakerWindows(
    const LoadedScenario& s, const std::vector<sim::TwinLogEntry>& log);

struct PropertyKind {
  Property::KindCase kind;
  const char* name;  // the field name in a file
  uint32_t needs;    // Evidence bits
  // Reads the kind's fields (at `at`, e.g. properties[0].latency) into
  // `out`, including its label.
  absl::Status (*parse)(const Validator& v, const FieldPath& at,
                        const Property& property, const LoadedScenario& s,
                        PropertySpec* out);
  Verdict (*check)(const PropertySpec& p, const CheckInput& in);
};

const std::vector<PropertyKind>& PropertyKinds();
// REQUIRES: `kind` is in the table.
const PropertyKind& PropertyKindOf(Property::KindCase kind);

// Reads and checks the properties section. REQUIRES: topology loaded.
absl::Status LoadProperties(const Validator& v, LoadedScenario* out);

// Checks every property of `in.scenario`; `evidence` is what the target
// records, `why_missing` its reason for the rest.
std::vector<Verdict> CheckProperties(
    const CheckInput& in, uint32_t evidence,
    const std::function<std::string(uint32_t)>& why_missing);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_PROPERTIES_H_
