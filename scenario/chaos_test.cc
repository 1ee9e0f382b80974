#include "scenario/chaos.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "runtime/testing/runfile.h"
#include "scenario/loader.h"
#include "scenario/runner.h"

namespace saludo::scenario {
namespace {

std::string Dir() {
  return runtime::testing::RunfileDir(
      "scenario/scenarios/steady_round_robin.textproto");
}

const char kBase[] = R"(name: "c"
duration: "60s"
topology {
  nginx_config: "../../nginx/nginx.conf"
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "client" load { open_loop { calls_per_second: 20 } duration: "60s" } }
}
)";

absl::StatusOr<LoadedScenario> Load(const std::string& chaos) {
  return LoadScenarioText(std::string(kBase) + chaos, Dir() + "/c.textproto");
}

void ExpectError(const std::string& chaos, const std::string& where,
                 const std::string& what) {
  auto s = Load(chaos);
  ASSERT_FALSE(s.ok()) << chaos;
  EXPECT_TRUE(absl::StrContains(s.status().message(), where)) << s.status();
  EXPECT_TRUE(absl::StrContains(s.status().message(), what)) << s.status();
}

TEST(ChaosTest, BadSectionsAreNamedWithTheirPlace) {
  ExpectError("chaos { faults { fault { restart {} } per_minute: 1 } }",
              "chaos.faults[0].fault", "expected one of crash, pause");
  ExpectError("chaos { faults { fault { crash {} } per_minute: 0 "
              "duration { fixed: \"1s\" } } }",
              "chaos.faults[0].per_minute", "(0, 600]");
  ExpectError("chaos { faults { fault { crash {} } per_minute: 1 } }",
              "chaos.faults[0].duration", "missing");
  ExpectError("chaos { faults { fault { hang {} } per_minute: 1 "
              "duration { fixed: \"1s\" } nodes: \"nginx\" } }",
              "chaos.faults[0].nodes", "unknown backend \"nginx\"");
  ExpectError("chaos { faults { fault { errors { code: \"NOPE\" rate: 1 } } "
              "per_minute: 1 duration { fixed: \"1s\" } } }",
              "chaos.faults[0].fault.errors", "gRPC status name");
  ExpectError("chaos { partitions { per_minute: 1 duration { fixed: \"1s\" } } "
              "start: \"30s\" end: \"10s\" }",
              "chaos.end", "expected start < end");
  ExpectError("chaos { max_down: 1 }", "chaos", "at least one of faults");
}

const char kSpace[] = R"(chaos {
  faults { fault { crash {} } per_minute: 6 duration { uniform { low: "1s" high: "8s" } } }
  faults { fault { hang {} } per_minute: 4 duration { fixed: "3s" } }
  faults { fault { slow { delay: "100ms" } } per_minute: 4 duration { fixed: "2s" } }
  faults { fault { clock_drift { ppm: 200 } } per_minute: 2 duration { fixed: "5s" } }
  partitions { per_minute: 2 duration { fixed: "2s" } one_way: true }
  max_down: 1
}
properties { deadlines {} }
)";

// The run of a chaos seed and the run of the timeline it drew, written as a
// file and loaded back, are the same run.
TEST(ChaosTest, TheDrawnTimelineReproducesTheRun) {
  auto s = Load(kSpace);
  ASSERT_TRUE(s.ok()) << s.status();
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto run = RunSimulated(*s, seed, false);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_FALSE(run->drawn.empty()) << seed;
    std::string text;
    google::protobuf::TextFormat::PrintToString(DrawChaos(*s, seed).proto,
                                                &text);
    EXPECT_FALSE(absl::StrContains(text, "chaos")) << text;
    auto fixed = LoadScenarioText(text, Dir() + "/written.textproto");
    ASSERT_TRUE(fixed.ok()) << fixed.status();
    auto again = RunSimulated(*fixed, seed, false);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(run->observed.trace_hash, again->observed.trace_hash) << seed;
    EXPECT_TRUE(again->drawn.empty());
  }
  // Seeds draw different stories.
  EXPECT_NE(DrawChaos(*s, 1).what, DrawChaos(*s, 2).what);
  EXPECT_EQ(DrawChaos(*s, 3).what, DrawChaos(*s, 3).what);
}

// max_down: 1 keeps one of the two backends up (not crashed, paused or hung)
// at every moment of every seed's timeline.
TEST(ChaosTest, MaxDownIsNeverExceeded) {
  auto s = Load(kSpace);
  ASSERT_TRUE(s.ok()) << s.status();
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    auto fixed = LoadScenarioText([&] {
      std::string text;
      google::protobuf::TextFormat::PrintToString(DrawChaos(*s, seed).proto,
                                                  &text);
      return text;
    }(), Dir() + "/written.textproto");
    ASSERT_TRUE(fixed.ok()) << fixed.status();
    // Down intervals per backend, from the fixed faults.
    std::map<std::string, std::vector<std::pair<absl::Duration, absl::Duration>>>
        down;
    std::map<std::string, absl::Duration> crashed_at;
    for (const ScenarioFault& f : fixed->faults) {
      if (f.kind == Fault::kCrash) crashed_at[f.node] = f.at;
      if (f.kind == Fault::kRestart) down[f.node].push_back({crashed_at[f.node], f.at});
      if (f.kind == Fault::kPause || f.kind == Fault::kHang) {
        down[f.node].push_back({f.at, f.at + f.duration});
      }
    }
    for (const auto& [node, at] : crashed_at) {
      bool restarted = false;
      for (const auto& [from, to] : down[node]) restarted |= from == at;
      if (!restarted) down[node].push_back({at, absl::InfiniteDuration()});
    }
    for (const auto& [a, b] : down["server1"]) {
      for (const auto& [c, d] : down["server2"]) {
        EXPECT_FALSE(a < d && c < b)
            << "seed " << seed << ": both down in [" << absl::FormatDuration(
                   std::max(a, c)) << ", " << absl::FormatDuration(std::min(b, d))
            << ")";
      }
    }
  }
}

// The kinds a link or a call can fail by: drawn, written, reproduced.
TEST(ChaosTest, LinkAndCallFaultsAreDrawnAndReproduced) {
  auto s = Load(R"(chaos {
  faults { fault { latency_spike { latency { fixed: "200ms" } } } per_minute: 6 duration { fixed: "2s" } }
  faults { fault { loss_burst { loss: 0.5 peer: "client" } } per_minute: 6 duration { fixed: "1s" } nodes: "nginx" }
  faults { fault { crash_on_call {} } per_minute: 2 duration { fixed: "3s" } }
}
properties { deadlines {} }
)");
  ASSERT_TRUE(s.ok()) << s.status();
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto run = RunSimulated(*s, seed, false);
    ASSERT_TRUE(run.ok()) << run.status();
    std::string text;
    google::protobuf::TextFormat::PrintToString(DrawChaos(*s, seed).proto,
                                                &text);
    auto fixed = LoadScenarioText(text, Dir() + "/written.textproto");
    ASSERT_TRUE(fixed.ok()) << fixed.status() << text;
    EXPECT_EQ(RunSimulated(*fixed, seed, false)->observed.trace_hash,
              run->observed.trace_hash);
    const std::string words = absl::StrJoin(run->drawn, "\n");
    EXPECT_TRUE(absl::StrContains(words, "latency_spike")) << words;
    EXPECT_TRUE(absl::StrContains(words, "loss_burst")) << words;
  }
  ExpectError("chaos { faults { fault { latency_spike { peer: \"server1\" "
              "latency { fixed: \"1s\" } } } per_minute: 1 duration { fixed: "
              "\"1s\" } } }",
              "chaos.faults[0].nodes", "the link's other end");
}

// A failing run's signature names the property and the drawn faults in
// force when its first offending call started.
TEST(ChaosTest, FailureSignaturesNameTheFaultsInForce) {
  auto s = Load(R"(chaos {
  faults { fault { errors { code: "INTERNAL" rate: 1 } } per_minute: 6 duration { fixed: "5s" } }
}
properties { success_rate { at_least: 1 } }
properties { deadlines {} }
)");
  ASSERT_TRUE(s.ok()) << s.status();
  auto run = RunSimulated(*s, 1, false);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_FALSE(run->ok());
  EXPECT_EQ(FailureSignatures(*run),
            std::vector<std::string>{"success rate >= 1 [errors]"});
  EXPECT_EQ(run->verdicts[0].first_at.has_value(), true);
}

TEST(ChaosTest, SwarmEnablesASubsetOfTheKindsPerSeed) {
  auto s = Load(std::string(kSpace).replace(std::string(kSpace).find("max_down"),
                                            11, "swarm: true"));
  ASSERT_TRUE(s.ok()) << s.status();
  int partial = 0;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const auto what = DrawChaos(*s, seed).what;
    bool crash = false, slow = false, partition = false;
    for (const std::string& w : what) {
      crash |= absl::StrContains(w, ": crash");
      slow |= absl::StrContains(w, ": slow");
      partition |= absl::StrContains(w, "partition");
    }
    partial += !(crash && slow && partition);
  }
  EXPECT_GT(partial, 10);  // at 6, 4 and 2 a minute, all three would show
}

}  // namespace
}  // namespace saludo::scenario
