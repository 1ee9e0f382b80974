// Real processes as a scenario target: each backend's server binary (its
// service kind says which, scenario/services.h), real nginx running the
// scenario's configuration (ports remapped), and the client code on the live
// runtime. Faults are applied at their times through the control service and
// process signals. In a private network namespace (runtime/live/netns.h),
// each node has its own loopback address and partitions and loss are kernel
// packet-filter rules between them (live_network.h) and latency a kernel
// packet queue (packet_delay.h); clock drift is set on the server's live
// clock through the control service. What cannot be applied live (the
// network outside a private namespace, faults on nginx or the clients) is
// UNIMPLEMENTED with its reason, which the runner reports as skipped. nginx
// also writes an attempt log (nginx::kAttemptLogFormat): which backend each
// attempt went to and when (to the millisecond), the balancer log that
// properties check. Runs in real time; no trace hash.
#ifndef SALUDO_SCENARIO_LIVE_LIVE_TARGET_H_
#define SALUDO_SCENARIO_LIVE_LIVE_TARGET_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proto/control.pb.h"
#include "runtime/sync.h"
#include "scenario/live/live_network.h"
#include "scenario/live/packet_delay.h"
#include "scenario/target.h"

namespace saludo::stack {
class LiveStack;
}
namespace saludo::nginx {
class NginxProcess;
}

namespace saludo::scenario {

// Turns a runfiles path ("saludo_sim/services/saludo_server") into a path
// on disk.
using Locate = std::function<std::string(const std::string& runfile)>;

// The runfiles of the program started as `argv0` (empty inside a test).
absl::StatusOr<Locate> RunfilesLocator(const std::string& argv0);

class LiveTarget final : public Target {
 public:
  // `locate` finds the services' server binaries.
  explicit LiveTarget(Locate locate);
  ~LiveTarget() override;

  std::string label() const override { return "live"; }
  uint32_t evidence() const override;
  std::string WhyMissing(uint32_t missing) const override;
  // REQUIRES: backends have server ids 1..n; their service kinds have a
  // live binary.
  absl::Status Build(const LoadedScenario& scenario) override;
  absl::Status SetLinks(const LoadedScenario& scenario) override;
  absl::Status Partition(const std::string& a, const std::string& b,
                         absl::Duration at, absl::Duration duration,
                         bool one_way) override;
  absl::Status Crash(const std::string& node, absl::Duration at) override;
  absl::Status Restart(const std::string& node, absl::Duration at) override;
  absl::Status Pause(const std::string& node, absl::Duration at,
                     absl::Duration duration) override;
  absl::Status Hang(const std::string& node, absl::Duration at,
                    absl::Duration duration) override;
  absl::Status Slow(const std::string& node, absl::Duration at,
                    absl::Duration delay) override;
  absl::Status Errors(const std::string& node, absl::Duration at,
                      absl::StatusCode code, double rate) override;
  absl::Status ClearFaults(const std::string& node, absl::Duration at) override;
  absl::Status ClockOffset(const std::string& node, absl::Duration at,
                           absl::Duration offset) override;
  absl::Status ClockDrift(const std::string& node, absl::Duration at,
                          int64_t drift_ppb) override;
  absl::Status ClockJump(const std::string& node, absl::Duration at,
                         absl::Duration delta) override;
  absl::Status CrashOnCall(const std::string& node, absl::Duration at) override;
  absl::Status ChangeLink(const std::string& a, const std::string& b,
                          absl::Duration at, absl::Duration duration,
                          const LinkChange& change, bool one_way) override;
  absl::StatusOr<Observations> Run(absl::Duration until) override;

  // Ends a Run early (e.g. on SIGINT): no more faults are applied, the
  // clients start no more calls, and Run returns what was observed so far
  // with a note saying where it stopped. Thread-safe.
  void Cancel();

 private:
  // A backend's service faults as this target last set them (the control
  // service sets them as a whole, so a new fault must not clear the others).
  struct ServiceState {
    control::Faults faults;
    absl::Time hang_until = absl::InfinitePast();
    absl::Duration clock_offset = absl::ZeroDuration();
    int64_t drift_ppb = 0;
  };
  // Only `st`'s clock faults (offset, drift), which survive a crash and a
  // clear_faults.
  static ServiceState MachineClock(const ServiceState& st);
  struct Action {
    absl::Duration at;
    std::function<void()> run;
  };

  // The server id of backend `node`, or UNIMPLEMENTED (not a backend).
  absl::StatusOr<int> Backend(const std::string& node) const;
  // Schedules a change of backend `node`'s service faults.
  absl::Status ChangeService(const std::string& node, absl::Duration at,
                             std::function<void(ServiceState&)> change);
  void SendFaults(int id);
  absl::Status StartNginx(const LoadedScenario& s);
  // Each client, to start at its time (an action), at nginx's address.
  void AddClients(const LoadedScenario& s);
  std::vector<sim::TwinLogEntry> ReadAccessLog() const;
  // Applies the network rules now; a failure becomes a note of the run.
  void ApplyNetwork();
  // The directed links from `a` to `b` (and back unless `one_way`) that
  // carry traffic, or why the network cannot be changed live.
  absl::StatusOr<std::vector<PacketMatch>> Links(const std::string& a,
                                                 const std::string& b,
                                                 bool one_way) const;
  // Starts the packet delayer for delayed_ (a note if it cannot start).
  void StartDelays();
  // Gives `links` their latency now (LiveNetwork's) in the delayer.
  void UpdateDelays(const std::vector<PacketMatch>& links);
  // Applies the timeline's actions due by `until` at their times from
  // `start`; returns how many ran before a Cancel.
  size_t PlayTimeline(absl::Time start, absl::Duration until);
  // Waits (until `limit`) for every client to finish; on a Cancel stops
  // them and nginx (its log saved in `balancer` first) and returns true.
  bool WaitForClients(absl::Time limit,
                      std::vector<sim::TwinLogEntry>* balancer);

  struct Clients;  // the live clock, timers and the scenario's clients

  const Locate locate_;
  std::unique_ptr<Clients> clients_;
  const LoadedScenario* scenario_ = nullptr;
  std::unique_ptr<stack::LiveStack> stack_;
  std::unique_ptr<nginx::NginxProcess> nginx_;
  std::map<std::string, int> id_of_;               // backend -> server id
  std::map<int, bool> has_control_;                // server id -> ...
  std::map<std::string, std::string> address_of_;  // live -> scenario
  std::map<int, int> listen_port_map_;  // nginx listen port: scenario -> live
  std::map<int, ServiceState> state_;
  std::optional<LiveNetwork> net_;  // in a private network namespace
  std::set<PacketMatch> delayed_;   // links that have latency at some time
  std::unique_ptr<PacketDelayer> delayer_;  // from Run, if delayed_
  std::vector<std::string> notes_;  // for the run's observations
  std::vector<Action> actions_;
  absl::Duration latest_action_ = absl::ZeroDuration();  // PlayTimeline's
  absl::Time start_;  // when Run started the timeline
  runtime::Notification cancelled_;
};

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_LIVE_LIVE_TARGET_H_
