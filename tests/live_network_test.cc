// Network faults applied live: the whole test runs in a private network
// namespace (entered in main, before any thread), where partitions and loss
// are nftables rules between the nodes' own loopback addresses. Each case
// plays a scenario against real processes and real nginx and, where the
// outcome can be predicted, against the simulator with the same file.
// Without namespaces (the kernel or its settings refuse) every case skips,
// saying why. The namespace, its rules and every process end with the test.
#include "scenario/live/live_network.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/summary.h"
#include "gtest/gtest.h"
#include "runtime/check.h"
#include "runtime/live/netns.h"
#include "scenario/live/live_target.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/runner.h"
#include "stack/live_stack.h"

namespace saludo {
namespace {

class LiveNetworkTest : public testing::Test {
 protected:
  void SetUp() override {
    if (absl::Status st = runtime::live::PrivateNetworkStatus(); !st.ok()) {
      GTEST_SKIP() << "no private network namespace: " << st.message();
    }
    if (absl::Status st = scenario::NftAvailable(); !st.ok()) {
      GTEST_SKIP() << st.message();
    }
  }

  // The shipped nginx.conf's scenario with these network and fault lines:
  // two backends, one client at 20 calls/s for `duration`.
  static scenario::LoadedScenario Load(const std::string& name,
                                       const std::string& duration,
                                       const std::string& extra) {
    auto files = stack::FindStackFiles("");
    SALUDO_CHECK(files.ok());
    const std::string dir =
        files->nginx_conf.substr(0, files->nginx_conf.rfind('/'));
    const std::string text =
        absl::StrCat("name: \"", name, "\"\nduration: \"", duration, "\"\n",
                     R"(topology {
  nginx_config: "nginx.conf"
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "client" load { open_loop { calls_per_second: 20 } duration: ")",
                     duration, R"(" deadline: "3s" } }
}
)",
                     extra);
    auto s = scenario::LoadScenarioText(text, dir + "/" + name + ".textproto");
    SALUDO_CHECK(s.ok());
    return *std::move(s);
  }

 public:
  static scenario::ScenarioRun RunLive(const scenario::LoadedScenario& s) {
    auto locate = scenario::RunfilesLocator("");
    SALUDO_CHECK(locate.ok());
    scenario::LiveTarget target(*locate);
    auto run = scenario::RunScenario(s, target);
    SALUDO_CHECK(run.ok());
    std::printf("%s\n", scenario::FormatRunSummary(s, *run).c_str());
    return *std::move(run);
  }
};

// Successful calls answered by `server_id` that started in [from, until).
int Answered(const scenario::ScenarioRun& run, int server_id,
             absl::Duration from, absl::Duration until) {
  int n = 0;
  for (const scenario::ScenarioCall& c : run.observed.calls) {
    n += c.record.status.ok() && c.record.server_id == server_id &&
         c.record.started >= from && c.record.started < until;
  }
  return n;
}

// Balancer log entries that tried server 1 and then server 2.
int RetriedOnServer2(const scenario::ScenarioRun& run) {
  int n = 0;
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    n += e.upstream_addr.size() == 2 &&
         e.upstream_addr[0] == "127.0.0.1:3001" &&
         e.upstream_addr[1] == "127.0.0.1:3002";
  }
  return n;
}

// The most calls in flight at once among those that started before `until`:
// how many connections nginx needed (and then kept) to its servers.
int PeakInFlight(const scenario::ScenarioRun& run, absl::Duration until) {
  std::vector<std::pair<absl::Duration, int>> edges;  // +1 start, -1 end
  for (const scenario::ScenarioCall& c : run.observed.calls) {
    if (c.record.started >= until) continue;
    edges.push_back({c.record.started, +1});
    edges.push_back({c.record.started + c.record.latency, -1});
  }
  std::sort(edges.begin(), edges.end());  // an end before a start at a tie
  int now = 0;
  int peak = 0;
  for (const auto& [at, step] : edges) {
    now += step;
    peak = std::max(peak, now);
  }
  return peak;
}

int Failed(const scenario::ScenarioRun& run) {
  int n = 0;
  for (const scenario::ScenarioCall& c : run.observed.calls) {
    n += !c.record.status.ok();
  }
  return n;
}

// `s` cuts nginx off server 1 from 1 s to 4 s: live and simulated alike,
// server 1 answered before and nothing meanwhile, nginx retried calls on
// server 2, and about as many calls failed.
void ExpectServer1CutFrom1sTo4s(const scenario::LoadedScenario& s) {
  const scenario::ScenarioRun live = LiveNetworkTest::RunLive(s);
  auto simulated = scenario::RunSimulated(s, 1, false);
  ASSERT_TRUE(simulated.ok()) << simulated.status();
  const absl::Duration slack = live.observed.timing_slack;
  EXPECT_GT(Answered(live, 1, absl::ZeroDuration(), absl::Seconds(1)), 5);
  EXPECT_EQ(Answered(live, 1, absl::Seconds(1) + slack, absl::Seconds(4)), 0);
  EXPECT_EQ(Answered(*simulated, 1, absl::Seconds(1), absl::Seconds(4)), 0);
  EXPECT_GE(RetriedOnServer2(live), 1);
  EXPECT_GE(RetriedOnServer2(*simulated), 1);
  // A request nginx sends on a cached connection to server 1 after the cut
  // is lost; live calls are slower (much slower under TSan), so nginx has
  // more such connections than the twin: each may cost one more failure.
  const int cached = PeakInFlight(live, absl::Seconds(1));
  EXPECT_GE(Failed(live), Failed(*simulated) - 2);
  EXPECT_LE(Failed(live), Failed(*simulated) + 2 + cached)
      << "peak calls in flight before the cut: " << cached;
}

// nginx <-> server 1 cut from 1 s to 4 s: a new connection to server 1
// times out (grpc_connect_timeout 1s) and nginx retries on server 2; after
// max_fails server 1 is skipped. The twin predicts the same.
TEST_F(LiveNetworkTest, PartitionMakesNginxTimeOutTheConnectAndRetry) {
  const scenario::LoadedScenario s = Load(
      "live_partition", "6s",
      R"(network { partitions { a: "nginx" b: "server1" start: "1s" duration: "3s" } })");
  ExpectServer1CutFrom1sTo4s(s);
}

// Only server 1's replies are lost: its SYN-ACKs too, so nginx's connects
// still time out, and a request on a cached connection gets no answer.
TEST_F(LiveNetworkTest, OneWayPartitionLosesTheRepliesOnly) {
  const scenario::LoadedScenario s = Load(
      "live_one_way", "6s",
      R"(network { partitions { a: "server1" b: "nginx" start: "1s" duration: "3s" one_way: true } })");
  ExpectServer1CutFrom1sTo4s(s);
}

// Half the packets between nginx and server 1 dropped for 2 s: TCP
// retransmits them (200 ms at least on Linux), so calls through server 1
// slow down meanwhile, and the link is whole again afterwards. (The
// simulator loses whole messages instead: docs/LIVE_FAULTS.md.)
TEST_F(LiveNetworkTest, LossBurstSlowsCallsWithRetransmissions) {
  const scenario::LoadedScenario s = Load(
      "live_loss", "6s",
      R"(faults { at: "1s" node: "nginx" loss_burst { peer: "server1" loss: 0.5 duration: "2s" } })");
  const scenario::ScenarioRun live = RunLive(s);
  // Before the burst a typical call is fast (the median: one slow call, such
  // as the first on a cold connection under a sanitizer, is not the fault);
  // during it the worst one waited for a retransmission.
  std::vector<absl::Duration> before;
  absl::Duration during = absl::ZeroDuration();
  for (const scenario::ScenarioCall& c : live.observed.calls) {
    const absl::Duration at = c.record.started;
    if (at < absl::Seconds(1)) {
      before.push_back(c.record.latency);
    } else if (at < absl::Seconds(3)) {
      during = std::max(during, c.record.latency);
    }
  }
  ASSERT_FALSE(before.empty());
  EXPECT_LT(client::Percentiles(before, {0.5})[0], absl::Milliseconds(100));
  EXPECT_GE(during, absl::Milliseconds(200));
  EXPECT_GT(Answered(live, 1, absl::Seconds(4), absl::Seconds(6)) +
                Answered(live, 2, absl::Seconds(4), absl::Seconds(6)),
            30);
}

// 300 ms each way between nginx and server 1 from 1 s to 3 s: calls that
// server 1 answers meanwhile take at least a round trip (600 ms) more, live
// as in the simulator (a new connection costs another; live, TCP's
// retransmission timer, tuned to loopback, also fires before the delayed
// acknowledgements come: docs/LIVE_FAULTS.md); the others stay fast, and so
// do server 1's once the spike is over.
TEST_F(LiveNetworkTest, LatencySpikeShowsInTheClientsLatencies) {
  const scenario::LoadedScenario s = Load(
      "live_spike", "5s",
      R"(faults { at: "1s" node: "nginx" latency_spike { peer: "server1" latency { fixed: "300ms" } duration: "2s" } })");
  const scenario::ScenarioRun live = RunLive(s);
  auto simulated = scenario::RunSimulated(s, 1, false);
  ASSERT_TRUE(simulated.ok()) << simulated.status();
  const absl::Duration slack = live.observed.timing_slack;
  const scenario::ScenarioRun* runs[] = {&live, &*simulated};
  for (const scenario::ScenarioRun* run : runs) {
    int slow = 0;
    for (const scenario::ScenarioCall& c : run->observed.calls) {
      const absl::Duration at = c.record.started;
      if (!c.record.status.ok()) continue;
      if (at < absl::Seconds(1) || at > absl::Seconds(4)) {
        // Did not pay the round trip the spike adds (the line the calls
        // below are held to). Not a speed bound: under TSan on 2 cores a
        // call here once took 334 ms (a TCP retransmission, p50 2.8 ms).
        EXPECT_LT(c.record.latency, absl::Milliseconds(600)) << at;
      } else if (c.record.server_id == 1 && at > absl::Seconds(1) + slack &&
                 at < absl::Milliseconds(2400)) {
        EXPECT_GE(c.record.latency, absl::Milliseconds(600)) << at;
        ++slow;
      }
    }
    EXPECT_GT(slow, 5) << run->label;
  }
}

}  // namespace
}  // namespace saludo

int main(int argc, char** argv) {
  // Before gtest or anything else starts a thread.
  if (absl::Status st = saludo::runtime::live::EnterPrivateNetwork();
      !st.ok()) {
    std::fprintf(stderr, "live_network_test: %s\n",
                 std::string(st.message()).c_str());
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
