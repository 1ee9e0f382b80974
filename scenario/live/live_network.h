// The live stack's network in a private network namespace: where each node
// sits on loopback, and the kernel packet-filter rules (nftables) that apply
// the scenario's partitions and loss between two nodes.
//
// Addresses: backend with server id N listens on 127.0.1.N; nginx listens on
// every address, and the scenario's client number K (from 1) reaches it at
// 127.0.2.K. nginx connects to the backends from 127.0.0.1. So every directed
// link is one address: packets to 127.0.1.N are nginx -> backend N, packets
// from it the way back; likewise 127.0.2.K for client K and nginx.
//
// Every packet here is sent by a local process, so rules sit on the output
// hook only, in table `inet saludo` at priority -300 (before anything else,
// the delay queue included: a dropped packet is never delayed first). The
// whole table is replaced in one nft transaction at each change.
#ifndef SALUDO_SCENARIO_LIVE_LIVE_NETWORK_H_
#define SALUDO_SCENARIO_LIVE_LIVE_NETWORK_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/distribution.h"

namespace saludo::scenario {

// The packets of one directed link: those sent to `address` or from it.
struct PacketMatch {
  bool to_address = true;
  std::string address;
  std::string Nft() const;  // "ip daddr 127.0.1.1"
  bool operator<(const PacketMatch& o) const {
    return std::tie(to_address, address) < std::tie(o.to_address, o.address);
  }
};

// OK if the nft program is installed; else why not.
absl::Status NftAvailable();

class LiveNetwork {
 public:
  // `backends`: name -> server id (1..254); `clients`: names, in the
  // scenario's order (at most 254). INVALID_ARGUMENT otherwise.
  static absl::StatusOr<LiveNetwork> Make(
      const std::map<std::string, int>& backends,
      const std::vector<std::string>& clients);

  static std::string BackendHost(int server_id);
  // Where client number `index` (0-based) reaches nginx.
  static std::string NginxHostFor(int index);

  // The packets from node `from` to node `to`; nullopt when no traffic
  // flows between them (two backends, a client and a backend, ...).
  std::optional<PacketMatch> Match(const std::string& from,
                                   const std::string& to) const;

  // Rule changes (Apply puts them into effect). Partitions nest: a link is
  // cut while any partition on it lasts. A loss override replaces the link's
  // own loss until removed; the latest added wins.
  void Cut(const PacketMatch& link, int delta);  // +1 starts, -1 ends one
  void SetLoss(const PacketMatch& link, double loss);
  int OverrideLoss(const PacketMatch& link, double loss);  // returns its id
  // Latency is not a rule here (packet_delay.h applies it): its link's own
  // and overrides, as for loss.
  void SetLatency(const PacketMatch& link, const sim::Distribution& latency);
  int OverrideLatency(const PacketMatch& link,
                      const sim::Distribution& latency);  // returns its id
  void RemoveOverride(int id);                            // of loss or latency
  // The link's latency now; nullopt: none.
  std::optional<sim::Distribution> Latency(const PacketMatch& link) const;

  // The nft script that replaces table inet saludo with the current rules.
  std::string Ruleset() const;
  // Runs nft with Ruleset(). REQUIRES: in a private network namespace.
  absl::Status Apply() const;
  // Deletes table inet saludo (a later run in this namespace starts clean).
  absl::Status Remove() const;

 private:
  struct LinkRules {
    int cuts = 0;
    double loss = 0;
    std::map<int, double> loss_overrides;  // by id: the latest wins
    std::optional<sim::Distribution> latency;
    std::map<int, sim::Distribution> latency_overrides;
  };
  std::map<std::string, std::string> address_of_;  // node -> as above
  std::map<std::string, bool> is_client_;
  std::map<PacketMatch, LinkRules> links_;
  std::map<int, PacketMatch> override_link_;
  int next_override_ = 1;
};

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_LIVE_LIVE_NETWORK_H_
