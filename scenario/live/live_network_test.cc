#include "scenario/live/live_network.h"

#include "gtest/gtest.h"

namespace saludo::scenario {
namespace {

LiveNetwork TwoBackendsTwoClients() {
  auto net =
      LiveNetwork::Make({{"server1", 1}, {"server2", 2}}, {"client", "other"});
  EXPECT_TRUE(net.ok()) << net.status();
  return *std::move(net);
}

TEST(LiveNetworkTest, EachDirectedLinkIsOneAddress) {
  const LiveNetwork net = TwoBackendsTwoClients();
  EXPECT_EQ(net.Match("nginx", "server2")->Nft(), "ip daddr 127.0.1.2");
  EXPECT_EQ(net.Match("server2", "nginx")->Nft(), "ip saddr 127.0.1.2");
  EXPECT_EQ(net.Match("client", "nginx")->Nft(), "ip daddr 127.0.2.1");
  EXPECT_EQ(net.Match("nginx", "other")->Nft(), "ip saddr 127.0.2.2");
  // No traffic flows between them: nothing to cut.
  EXPECT_FALSE(net.Match("client", "server1").has_value());
  EXPECT_FALSE(net.Match("server1", "server2").has_value());
  EXPECT_FALSE(net.Match("nginx", "nginx").has_value());
}

TEST(LiveNetworkTest, RulesetCutsNestsAndOverridesLoss) {
  LiveNetwork net = TwoBackendsTwoClients();
  const PacketMatch to1 = *net.Match("nginx", "server1");
  const PacketMatch from1 = *net.Match("server1", "nginx");
  net.SetLoss(to1, 0.002);
  EXPECT_NE(net.Ruleset().find("ip daddr 127.0.1.1 numgen random mod 1000000 "
                               "< 2000 drop"),
            std::string::npos)
      << net.Ruleset();
  const int burst = net.OverrideLoss(to1, 0.5);
  EXPECT_NE(net.Ruleset().find("< 500000 drop"), std::string::npos);
  net.Cut(from1, +1);
  net.Cut(from1, +1);
  net.Cut(from1, -1);  // one of two overlapping partitions ends
  EXPECT_NE(net.Ruleset().find("ip saddr 127.0.1.1 drop"), std::string::npos);
  net.Cut(from1, -1);
  net.RemoveOverride(burst);
  const std::string rules = net.Ruleset();
  EXPECT_EQ(rules.find("ip saddr"), std::string::npos) << rules;
  EXPECT_NE(rules.find("< 2000 drop"), std::string::npos) << rules;
  // The whole table is replaced in one transaction.
  EXPECT_EQ(rules.find("add table inet saludo\ndelete table inet saludo\n"),
            0u);
}

TEST(LiveNetworkTest, LatestLatencyOverrideWinsUntilRemoved) {
  LiveNetwork net = TwoBackendsTwoClients();
  const PacketMatch link = *net.Match("nginx", "server1");
  EXPECT_FALSE(net.Latency(link).has_value());
  net.SetLatency(link, sim::Distribution::Fixed(absl::Milliseconds(1)));
  const int a =
      net.OverrideLatency(link, sim::Distribution::Fixed(absl::Seconds(2)));
  const int b =
      net.OverrideLatency(link, sim::Distribution::Fixed(absl::Seconds(3)));
  EXPECT_EQ(net.Latency(link)->Lower(), absl::Seconds(3));
  net.RemoveOverride(b);
  EXPECT_EQ(net.Latency(link)->Lower(), absl::Seconds(2));
  net.RemoveOverride(a);
  EXPECT_EQ(net.Latency(link)->Lower(), absl::Milliseconds(1));
}

TEST(LiveNetworkTest, RefusesWhatHasNoAddress) {
  EXPECT_FALSE(LiveNetwork::Make({{"s", 255}}, {}).ok());
  EXPECT_FALSE(LiveNetwork::Make({}, std::vector<std::string>(255, "c")).ok());
}

}  // namespace
}  // namespace saludo::scenario
