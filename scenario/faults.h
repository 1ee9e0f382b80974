// The fault kinds, in one table. Each kind says how it is read from a file
// (and what is valid), how it is described in reports, and how it is put on
// a target's timeline (the simulator, or the live stack: a target that
// cannot apply it answers UNIMPLEMENTED and the run reports it as skipped).
// Adding a fault kind = a field in proto/scenario.proto's Fault, one entry
// in faults.cc, a Target operation if no existing one applies it, and tests.
#ifndef SALUDO_SCENARIO_FAULTS_H_
#define SALUDO_SCENARIO_FAULTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "scenario/model.h"
#include "scenario/target.h"
#include "scenario/validator.h"

namespace saludo::scenario {

// What a fault kind does to a backend's calls, as the availability property
// (properties.cc) reads it.
enum class Health {
  kUnaffected,  // clocks; restart and clear_faults (they end others)
  kRefuses,     // new connections are refused: nothing was sent, nginx may
                // try another backend
  kLosesSent,   // a call sent meanwhile may get no answer; nginx never
                // retries a gRPC call it sent
  kAnswers,     // the service answers, with an error: its own answer
};

// How long a fault is in force once it happens.
enum class Lasts {
  kNothing,       // restart, clear_faults: they end other faults
  kDuration,      // its own duration field
  kUntilRestart,  // crash, crash_on_call
  kUntilCleared,  // slow, errors: until clear_faults, a crash or the next
  kUntilNext,     // clock offset, drift: until the next one (0 ends it)
  kOneSecond,     // clock_jump: an instant, counted for the second after it
};

struct FaultKind {
  Fault::KindCase kind;
  const char* name;    // the field name in a file: "hang"
  bool backends_only;  // a service fault: the node must be a backend
  Health health;
  Lasts lasts;
  // Reads the kind's own fields (at `at`, e.g. faults[2].hang) into `out`.
  absl::Status (*parse)(const Validator& v, const FieldPath& at,
                        const Fault& fault, ScenarioFault* out);
  // What it does, in words and units: "hang 41s".
  std::string (*describe)(const ScenarioFault& fault);
  // Puts it on the target's timeline.
  absl::Status (*apply)(const ScenarioFault& fault, Target& target);
};

// Every kind, in the order of proto/scenario.proto.
absl::Span<const FaultKind> FaultKinds();
// REQUIRES: `kind` is in the table (not KIND_NOT_SET).
const FaultKind& FaultKindOf(Fault::KindCase kind);

// Whether `node` can take `fault` (its kind and peer already parsed): a link
// fault's peer is another node of the scenario; a service fault needs a
// backend whose service has a control service. A peer problem is reported
// at `peer_at`, a node problem at `node_at`. Shared by `faults` and `chaos`.
absl::Status CheckFaultNode(const Validator& v, const FieldPath& peer_at,
                            const FieldPath& node_at,
                            const ScenarioFault& fault, const std::string& node,
                            const LoadedScenario& s);

// The duration field of a fault whose kind has one (pause, hang, latency
// spike, loss burst: those that last Lasts::kDuration), or null.
std::string* MutableDurationField(Fault* fault);

// One fault (or partition) of a timeline and when it is in force.
struct FaultWindow {
  std::string kind;  // the kind's name; "partition", "one-way partition"
  std::string node;  // where it happens (a partition: one end)
  std::string peer;  // the other end of a link fault or partition, or ""
  absl::Duration start, end;  // [start, end); end may be infinite
  Health health = Health::kUnaffected;
  absl::StatusCode code = absl::StatusCode::kOk;  // errors: the code
};

// When each fault and partition of `s` (a fixed timeline: chaos drawn
// already) is in force, by start time (stable).
std::vector<FaultWindow> FaultWindows(const LoadedScenario& s);

// Reads and checks the faults section: each fault, then the timeline as a
// whole (a crash of a node that is down, a restart of one that is up,
// overlapping pauses, the same kind twice on a node at once). Sorted by time.
absl::Status LoadFaults(const Validator& v, LoadedScenario* out);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_FAULTS_H_
