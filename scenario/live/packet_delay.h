// Link latency for live runs, without netem (these kernels lack it): the
// packets of a delayed link are sent to a kernel queue (an iptables NFQUEUE
// rule, one queue per directed link), and this process lets each one go
// (verdict ACCEPT) once its drawn latency has passed. A packet is held, not
// copied or re-sent, so nothing about the connection changes: a backend that
// is down still refuses (its reset is delayed like any packet), a partition
// (nftables drops, which run before the queue) still times out.
//
// Per packet, the link's current distribution is drawn; packets of one link
// leave in the order they came (a draw shorter than the one before waits for
// it), as on a real link. The queue's thread wakes with nanosecond timeouts;
// what it adds on top of a draw is measured in docs/LIVE_FAULTS.md.
#ifndef SALUDO_SCENARIO_LIVE_PACKET_DELAY_H_
#define SALUDO_SCENARIO_LIVE_PACKET_DELAY_H_

#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/random.h"
#include "runtime/sync.h"
#include "scenario/live/live_network.h"
#include "sim/distribution.h"

namespace saludo::scenario {

// OK if iptables (with the NFQUEUE target) is installed; else why not.
absl::Status IptablesAvailable();

class PacketDelayer {
 public:
  // Binds one kernel queue per link and adds its iptables rule (table
  // mangle, chain OUTPUT). Packets pass undelayed until SetLatency.
  // REQUIRES: in a private network namespace; `links` not empty.
  static absl::StatusOr<std::unique_ptr<PacketDelayer>> Start(
      const std::vector<PacketMatch>& links, uint64_t seed);

  // Removes the rules, lets every held packet go, stops the thread.
  ~PacketDelayer();

  // `link`'s latency from now on; nullopt: none. Thread-safe.
  // REQUIRES: `link` was one of Start's.
  void SetLatency(const PacketMatch& link,
                  std::optional<sim::Distribution> latency);

  struct Stats {
    int64_t packets = 0;    // that passed through a queue
    int64_t held_most = 0;  // held at once, at most
    absl::Duration late_most = absl::ZeroDuration();  // released after due
    int64_t overruns = 0;  // times the kernel had more than we could read
  };
  Stats stats() const;

 private:
  struct Link {
    int queue = 0;
    std::optional<sim::Distribution> latency;
    absl::Time last_release = absl::InfinitePast();
    runtime::Random random{0};
  };
  struct Held {
    absl::Time release;
    int64_t sequence;
    int queue;
    uint32_t packet_id;
    bool operator>(const Held& o) const {
      return std::tie(release, sequence) > std::tie(o.release, o.sequence);
    }
  };

  PacketDelayer() = default;
  absl::Status Bind(int queue);
  void Loop();
  // Reads every packet waiting on the socket; holds or passes each.
  void Receive();
  void Release(absl::Time now);
  void Verdict(int queue, uint32_t packet_id);

  int fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: the destructor wakes the thread
  std::vector<PacketMatch> links_;
  int rules_ = 0;  // queue rules added, for queues 1..rules_
  std::thread thread_;
  mutable runtime::Mutex mu_;
  std::map<int, Link> by_queue_ ABSL_GUARDED_BY(mu_);
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);  // a min-heap
  int64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_LIVE_PACKET_DELAY_H_
