// A small C++ API to build and run a simulated world: hosts running any
// service code on the runtime seam (AddHost: a boot function builds the
// host's services, again on every restart), Saludo servers (AddServer, the
// same assembly the live binary boots), clients running the real client/
// code, the nginx twin, links, and faults on a timeline. Scenario files
// (scenario/) run on this API through scenario/sim_target.h.
//
//   World world(/*seed=*/7);
//   NodeId s1 = world.AddServer("server1", 1);
//   NodeId s2 = world.AddServer("server2", 2);
//   NodeId lb = *world.AddNginxTwin("nginx", config,
//                                   {{"127.0.0.1:3001", s1},
//                                    {"127.0.0.1:3002", s2}});
//   NodeId c = world.AddClient("client");
//   world.StartLoad(c, lb, options);
//   world.HangAt(s1, absl::Seconds(1), absl::Seconds(41));
//   world.Run();
//   world.records(c); world.trace_hash();
#ifndef SALUDO_SIM_WORLD_H_
#define SALUDO_SIM_WORLD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/load_client.h"
#include "nginx/config/twin_config.h"
#include "proto/control.pb.h"
#include "runtime/host.h"
#include "sim/network.h"
#include "sim/nginx_twin.h"
#include "sim/simulator.h"

namespace saludo::services {
class FaultState;
}

namespace saludo::sim {

class World {
 public:
  // `keep_log`: keep the full event log (the trace hash is the same anyway).
  explicit World(uint64_t seed, bool keep_log = false);
  ~World();

  Simulator& sim() { return sim_; }
  Network& network() { return network_; }

  // A node whose services `boot` builds: at once, and again on every restart
  // (fresh state). `boot` gets the node's clock and timers, its handler
  // registry, a seed per incarnation, and channels to other nodes by name.
  NodeId AddHost(const std::string& name, runtime::BootFn boot);
  // The current incarnation of host `node` as a T (nullptr while down or if
  // it is not a T).
  template <typename T>
  T* host(NodeId node) {
    auto it = hosts_.find(node);
    return it == hosts_.end() ? nullptr
                              : dynamic_cast<T*>(it->second.process.get());
  }

  // A node running the Saludo server (services/saludo_server.h) with
  // `server_id` and its control service.
  NodeId AddServer(const std::string& name, int server_id);

  // A node running the nginx twin with `config`; `backends` maps each
  // upstream server address of the configuration to a node. `wall_epoch`:
  // the node's wall-clock reading at t=0 (nginx's whole-second clock drives
  // fail_timeout).
  absl::StatusOr<NodeId> AddNginxTwin(
      const std::string& name, nginx::TwinConfig config,
      const std::map<std::string, NodeId>& backends,
      absl::Time wall_epoch = absl::FromUnixSeconds(1767225600));
  // The twin on `node` (nullptr if none).
  NginxTwin* twin(NodeId node);

  // A node that runs client::LoadClient bursts.
  NodeId AddClient(const std::string& name);

  // Starts a burst from `client` to `target` (at its `port`, 0: unspecified)
  // at time `at`. Records gather in records(client) when the burst completes.
  void StartLoad(NodeId client, NodeId target, client::LoadOptions options,
                 absl::Duration at = absl::ZeroDuration(), int port = 0);
  // Every record of the client's finished bursts, in order.
  const std::vector<client::CallRecord>& records(NodeId client) const;
  // Moves those records out (records(client) is empty afterwards).
  std::vector<client::CallRecord> TakeRecords(NodeId client);
  // True if the client's bursts have all completed.
  bool load_done(NodeId client) const;

  // The fault state of a server's current incarnation (nullptr while down).
  services::FaultState* faults(NodeId server);
  // The server's disciplined wall clock (what its replies are stamped with;
  // nullptr while down).
  runtime::Clock* server_clock(NodeId server);

  // Faults on the timeline (times are true virtual time).
  void CrashAt(NodeId node, absl::Duration at);
  void RestartAt(NodeId node, absl::Duration at);
  void PauseAt(NodeId node, absl::Duration at, absl::Duration duration);
  // Service faults, applied as the control service would.
  void HangAt(NodeId server, absl::Duration at, absl::Duration duration);
  void SlowAt(NodeId server, absl::Duration at, absl::Duration delay);
  void ErrorsAt(NodeId server, absl::Duration at, absl::StatusCode code,
                double rate);
  void ClearServiceFaultsAt(NodeId server, absl::Duration at);
  // Any service faults, as SetFaults of the control service would set them.
  void SetServiceFaultsAt(NodeId server, absl::Duration at,
                          const control::Faults& faults,
                          const std::string& what);
  // Clock faults: set the offset, change the drift, or step the clock.
  void ClockOffsetAt(NodeId node, absl::Duration at, absl::Duration offset);
  void DriftAt(NodeId node, absl::Duration at, int64_t drift_ppb);
  void JumpAt(NodeId node, absl::Duration at, absl::Duration delta);
  // During [at, at + duration) the link a -> b (and b -> a unless one_way)
  // takes `latency` and/or `loss` instead of its own; then it is restored.
  // Changes may overlap: while several are in force, the later-started one
  // wins for each of latency and loss, and when the last ends the link is
  // what it was before the first.
  void ChangeLinkAt(NodeId a, NodeId b, absl::Duration at,
                    absl::Duration duration,
                    std::optional<Distribution> latency,
                    std::optional<double> loss, bool one_way);
  // Messages between a and b (only a -> b if one_way) are lost for a while.
  void PartitionAt(NodeId a, NodeId b, absl::Duration at,
                   absl::Duration duration, bool one_way);

  // Runs until nothing is left to do, or until `until`.
  void Run(absl::Duration until = absl::InfiniteDuration());

  uint64_t trace_hash() const { return sim_.trace().hash(); }

 private:
  struct HostNode {
    runtime::BootFn boot;
    std::unique_ptr<runtime::Host> process;  // null while down
  };
  struct ClientNode {
    std::vector<std::unique_ptr<runtime::Channel>> channels;
    std::vector<std::unique_ptr<client::LoadClient>> loads;
    std::vector<client::CallRecord> records;
    int bursts_started = 0;
    int bursts_done = 0;
  };

  void Boot(NodeId id);
  void Kill(NodeId id);
  void ApplyFaults(NodeId server, const control::Faults& faults,
                   const std::string& what);
  void Note(EventKind kind, NodeId node, const std::string& detail);
  // One link change in force (ChangeLinkAt).
  struct LinkChange {
    uint64_t id;  // in start order
    std::optional<Distribution> latency;
    std::optional<double> loss;
  };
  struct ChangedLink {
    LinkModel base;  // before the first change in force
    std::vector<LinkChange> changes;  // in force, by id
  };
  void BeginLinkChange(NodeId from, NodeId to, const LinkChange& change);
  void EndLinkChange(NodeId from, NodeId to, uint64_t id);
  // Sets the link to its base with every change in force applied.
  void SetChangedLink(NodeId from, NodeId to, const ChangedLink& link);

  Simulator sim_;
  Network network_;
  std::map<NodeId, HostNode> hosts_;
  std::map<NodeId, ClientNode> clients_;
  std::map<NodeId, std::unique_ptr<NginxTwin>> twins_;
  std::map<std::pair<NodeId, NodeId>, ChangedLink> changed_links_;
  uint64_t next_link_change_ = 0;
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_WORLD_H_
