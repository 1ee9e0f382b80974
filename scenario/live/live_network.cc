#include "scenario/live/live_network.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/check.h"
#include "runtime/live/subprocess.h"
#include "scenario/model.h"

namespace saludo::scenario {

std::string PacketMatch::Nft() const {
  return absl::StrCat("ip ", to_address ? "daddr " : "saddr ", address);
}

absl::StatusOr<LiveNetwork> LiveNetwork::Make(
    const std::map<std::string, int>& backends,
    const std::vector<std::string>& clients) {
  LiveNetwork net;
  for (const auto& [name, id] : backends) {
    if (id < 1 || id > 254) {
      return absl::InvalidArgumentError(
          absl::StrCat("backend ", name, ": server id ", id,
                       " has no address in the private network (ids 1..254)"));
    }
    net.address_of_[name] = BackendHost(id);
    net.is_client_[name] = false;
  }
  if (clients.size() > 254) {
    return absl::InvalidArgumentError(absl::StrCat(
        clients.size(), " clients: the private network has addresses for 254"));
  }
  for (size_t k = 0; k < clients.size(); ++k) {
    net.address_of_[clients[k]] = NginxHostFor(static_cast<int>(k));
    net.is_client_[clients[k]] = true;
  }
  return net;
}

std::string LiveNetwork::BackendHost(int server_id) {
  return absl::StrCat("127.0.1.", server_id);
}

std::string LiveNetwork::NginxHostFor(int index) {
  return absl::StrCat("127.0.2.", index + 1);
}

std::optional<PacketMatch> LiveNetwork::Match(const std::string& from,
                                              const std::string& to) const {
  const bool from_nginx = from == kNginxNode;
  const std::string& other = from_nginx ? to : from;
  if (from_nginx == (to == kNginxNode)) return std::nullopt;
  auto it = address_of_.find(other);
  if (it == address_of_.end()) return std::nullopt;
  // Packets travel to the backend's (or nginx's per-client) address one way
  // and from it the other: backend -> nginx and nginx -> client are "from".
  const bool other_is_client = is_client_.at(other);
  const bool to_address = from_nginx != other_is_client;
  return PacketMatch{to_address, it->second};
}

void LiveNetwork::Cut(const PacketMatch& link, int delta) {
  LinkRules& rules = links_[link];
  rules.cuts += delta;
  SALUDO_CHECK(rules.cuts >= 0);  // every end follows its start
}

void LiveNetwork::SetLoss(const PacketMatch& link, double loss) {
  SALUDO_CHECK(loss >= 0 && loss <= 1);
  links_[link].loss = loss;
}

int LiveNetwork::OverrideLoss(const PacketMatch& link, double loss) {
  SALUDO_CHECK(loss >= 0 && loss <= 1);
  const int id = next_override_++;
  links_[link].loss_overrides[id] = loss;
  override_link_.emplace(id, link);
  return id;
}

void LiveNetwork::SetLatency(const PacketMatch& link,
                             const sim::Distribution& latency) {
  links_[link].latency = latency;
}

int LiveNetwork::OverrideLatency(const PacketMatch& link,
                                 const sim::Distribution& latency) {
  const int id = next_override_++;
  links_[link].latency_overrides.emplace(id, latency);
  override_link_.emplace(id, link);
  return id;
}

void LiveNetwork::RemoveOverride(int id) {
  auto it = override_link_.find(id);
  SALUDO_CHECK(it != override_link_.end());
  LinkRules& rules = links_[it->second];
  rules.loss_overrides.erase(id);
  rules.latency_overrides.erase(id);
  override_link_.erase(it);
}

std::optional<sim::Distribution> LiveNetwork::Latency(
    const PacketMatch& link) const {
  auto it = links_.find(link);
  if (it == links_.end()) return std::nullopt;
  if (!it->second.latency_overrides.empty()) {
    return it->second.latency_overrides.rbegin()->second;
  }
  return it->second.latency;
}

std::string LiveNetwork::Ruleset() const {
  constexpr int kLossScale = 1000000;  // loss in millionths
  std::vector<std::string> lines = {
      "add table inet saludo", "delete table inet saludo",
      "add table inet saludo",
      "add chain inet saludo out { type filter hook output priority -300 ; "
      "policy accept ; }"};
  for (const auto& [match, rules] : links_) {
    const std::string rule = "add rule inet saludo out " + match.Nft();
    if (rules.cuts > 0) {
      lines.push_back(rule + " drop");
      continue;
    }
    const double loss = rules.loss_overrides.empty()
                            ? rules.loss
                            : rules.loss_overrides.rbegin()->second;
    const long millionths = std::lround(loss * kLossScale);
    if (millionths >= kLossScale) {
      lines.push_back(rule + " drop");
    } else if (millionths > 0) {
      lines.push_back(absl::StrCat(rule, " numgen random mod ", kLossScale,
                                   " < ", millionths, " drop"));
    }
  }
  return absl::StrJoin(lines, "\n") + "\n";
}

absl::Status NftAvailable() {
  if (!runtime::live::FindSystemProgram("nft").empty()) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      "no nft program (Debian package nftables; ./bazelw installs it)");
}

namespace {

absl::Status RunNft(const std::string& script) {
  const std::string nft = runtime::live::FindSystemProgram("nft");
  if (nft.empty()) return NftAvailable();
  absl::StatusOr<runtime::live::CommandResult> result =
      runtime::live::RunCommand({nft, script}, absl::Seconds(10));
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("nft refused the rules: ", result->output));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LiveNetwork::Apply() const { return RunNft(Ruleset()); }

absl::Status LiveNetwork::Remove() const {
  return RunNft("add table inet saludo\ndelete table inet saludo\n");
}

}  // namespace saludo::scenario
