// The counter in the simulator: in a World of its own (AddHost), and in its
// scenario file behind the nginx twin, where a restart shows fresh state.
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "examples/counter/counter_service.h"
#include "gtest/gtest.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/runner.h"
#include "scenario/services.h"
#include "sim/world.h"
#include "runtime/testing/runfile.h"

namespace saludo::counter {
namespace {

// "total N calls M" -> N.
int64_t TotalOf(const client::CallRecord& r) {
  std::vector<std::string> words = absl::StrSplit(r.mensaje, ' ');
  int64_t total = -1;
  if (words.size() == 4) {
    EXPECT_TRUE(absl::SimpleAtoi(words[1], &total));
  }
  return total;
}

TEST(CounterWorldTest, AHostRestartsWithFreshState) {
  sim::World world(/*seed=*/7);
  sim::NodeId counter = world.AddHost("counter1", CounterBoot(1));
  sim::NodeId client = world.AddClient("client");
  client::LoadOptions load;
  load.workload = std::make_shared<const client::Workload>(
      scenario::FindServiceKind("counter")->workload("w"));
  load.requests = 3;
  world.StartLoad(client, counter, load);
  world.CrashAt(counter, absl::Seconds(1));
  world.RestartAt(counter, absl::Seconds(2));
  world.StartLoad(client, counter, load, absl::Seconds(3));
  world.Run();
  const auto& records = world.records(client);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(TotalOf(records[2]), 3);  // before the crash
  EXPECT_EQ(TotalOf(records[3]), 1);  // the new incarnation starts over
  EXPECT_EQ(TotalOf(records[5]), 3);
}

std::string ScenarioFile() {
  return runtime::testing::Runfile("examples/counter/counter.textproto");
}

TEST(CounterScenarioTest, RunsBehindTheTwinAndRestartsFresh) {
  auto s = scenario::LoadScenario(ScenarioFile());
  ASSERT_TRUE(s.ok()) << s.status();
  auto run = scenario::RunSimulated(*s, 1, false);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->ok()) << scenario::FormatRunSummary(*s, *run);
  int64_t before_crash = 0, first_after_restart = -1;
  for (const scenario::ScenarioCall& c : run->observed.calls) {
    if (c.record.server_id != 1) continue;
    if (c.record.started < absl::Seconds(2)) {
      before_crash = std::max(before_crash, TotalOf(c.record));
    } else if (c.record.started >= absl::Seconds(3)) {
      // The fresh process counts from 1, whichever of its calls ends first.
      const int64_t after = TotalOf(c.record);
      if (first_after_restart < 0 || after < first_after_restart) {
        first_after_restart = after;
      }
    }
  }
  EXPECT_GT(before_crash, 20);
  EXPECT_EQ(first_after_restart, 1);
  auto again = scenario::RunSimulated(*s, 1, false);
  EXPECT_EQ(run->observed.trace_hash, again->observed.trace_hash);
}

}  // namespace
}  // namespace saludo::counter
