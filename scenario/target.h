// Where a scenario runs: the simulator (sim_target.h) or real processes
// behind real nginx (scenario/live/live_target.h). The runner builds the
// topology, puts the network and the faults on the target's timeline, runs
// it and checks the properties against what the target observed; it never
// asks which target it has. A target that cannot apply an operation says so
// with UNIMPLEMENTED and the reason, and the runner reports it as skipped; a
// property that needs evidence the target cannot supply is SKIPPED with the
// target's reason.
#ifndef SALUDO_SCENARIO_TARGET_H_
#define SALUDO_SCENARIO_TARGET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/load_client.h"
#include "scenario/model.h"
#include "sim/nginx_twin.h"
#include "sim/trace.h"

namespace saludo::scenario {

// What a property may need to be checked (a bit set).
enum Evidence : uint32_t {
  kCallRecords = 1u << 0,   // every client call: status, server, latency
  kBalancerLog = 1u << 1,   // nginx's access log: attempts and statuses
  kAttemptTimes = 1u << 2,  // when each balancer attempt began and ended
  kServerClocks = 1u << 3,  // the servers' clock readings in replies
};

struct ScenarioCall {
  std::string client;
  client::CallRecord record;  // `started` is relative to the scenario's start
  absl::Duration deadline;
};

// What a target observed during a run.
struct Observations {
  std::vector<ScenarioCall> calls;          // every client's, by start time
  std::vector<sim::TwinLogEntry> balancer;  // nginx's access log, in order
  bool has_trace_hash = false;              // deterministic targets only
  uint64_t trace_hash = 0;
  std::vector<sim::TraceEvent> event_log;  // when kept (simulator)
  std::vector<std::string> node_names;     // indexes TraceEvent::node
  // One line on what ran: "seed 3, simulated 31s" or "live run, ...".
  std::string where;
  // What the reader should know: operations the target skipped, parts of
  // the nginx configuration it does not model.
  std::vector<std::string> notes;
  // How late, at most, a timeline action (a fault, a restart) took effect
  // after its scenario time: checks that relate calls to faults allow for
  // it. Zero in the simulator; measured live.
  absl::Duration timing_slack = absl::ZeroDuration();
  // How precisely the balancer log's attempt times are known (zero in the
  // simulator; live, nginx logs milliseconds): checks comparing two of them
  // allow for it.
  absl::Duration attempt_time_resolution = absl::ZeroDuration();
};

class Target {
 public:
  virtual ~Target() = default;

  // How a verdict names this run: "seed 3", "live".
  virtual std::string label() const = 0;
  // The evidence this target records (Evidence bits).
  virtual uint32_t evidence() const = 0;
  // Why `missing` (Evidence bits not in evidence()) cannot be supplied.
  virtual std::string WhyMissing(uint32_t missing) const = 0;

  // Builds the topology: backends, the balancer with the scenario's nginx
  // configuration, clients with their loads. REQUIRES: called once, first.
  virtual absl::Status Build(const LoadedScenario& scenario) = 0;
  // The link model of the scenario's network section.
  virtual absl::Status SetLinks(const LoadedScenario& scenario) = 0;

  // Timeline operations, each at scenario time `at`. UNIMPLEMENTED with a
  // reason when this target cannot apply it (the runner reports it).
  virtual absl::Status Partition(const std::string& a, const std::string& b,
                                 absl::Duration at, absl::Duration duration,
                                 bool one_way) = 0;
  virtual absl::Status Crash(const std::string& node, absl::Duration at) = 0;
  virtual absl::Status Restart(const std::string& node, absl::Duration at) = 0;
  virtual absl::Status Pause(const std::string& node, absl::Duration at,
                             absl::Duration duration) = 0;
  // Service faults, as the control service sets them.
  virtual absl::Status Hang(const std::string& node, absl::Duration at,
                            absl::Duration duration) = 0;
  virtual absl::Status Slow(const std::string& node, absl::Duration at,
                            absl::Duration delay) = 0;
  virtual absl::Status Errors(const std::string& node, absl::Duration at,
                              absl::StatusCode code, double rate) = 0;
  virtual absl::Status ClearFaults(const std::string& node,
                                   absl::Duration at) = 0;
  // Clock faults: set the offset, change the drift, step the clock.
  virtual absl::Status ClockOffset(const std::string& node, absl::Duration at,
                                   absl::Duration offset) = 0;
  virtual absl::Status ClockDrift(const std::string& node, absl::Duration at,
                                  int64_t drift_ppb) = 0;
  virtual absl::Status ClockJump(const std::string& node, absl::Duration at,
                                 absl::Duration delta) = 0;
  // The next call `node` answers crashes it (a reset after the request was
  // sent, as nginx sees it); it stays down until a restart.
  virtual absl::Status CrashOnCall(const std::string& node,
                                   absl::Duration at) = 0;
  // During [at, at + duration) the link from `a` to `b` (and back unless
  // `one_way`) takes this latency and/or loss instead of its own.
  struct LinkChange {
    std::optional<sim::Distribution> latency;
    std::optional<double> loss;
  };
  virtual absl::Status ChangeLink(const std::string& a, const std::string& b,
                                  absl::Duration at, absl::Duration duration,
                                  const LinkChange& change, bool one_way) = 0;

  // Runs the timeline until every call has ended (`until` is when the last
  // call must have: LoadedScenario::LastCallEnd() plus a margin).
  virtual absl::StatusOr<Observations> Run(absl::Duration until) = 0;
};

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_TARGET_H_
