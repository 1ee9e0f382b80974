// The counter's scenario file against real processes: two counter_server
// binaries behind real nginx, a real crash (SIGKILL) and restart. Same
// properties, same fresh-state evidence as in the simulator.
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "scenario/live/live_target.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/runner.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace saludo::counter {
namespace {

TEST(CounterLiveTest, RunsBehindRealNginxAndRestartsFresh) {
  auto locate = scenario::RunfilesLocator("");
  ASSERT_TRUE(locate.ok()) << locate.status();
  auto s = scenario::LoadScenario(
      (*locate)("saludo_sim/examples/counter/counter.textproto"));
  ASSERT_TRUE(s.ok()) << s.status();
  scenario::LiveTarget target(*locate);
  auto run = scenario::RunScenario(*s, target);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string summary = scenario::FormatRunSummary(*s, *run);
  EXPECT_TRUE(run->ok()) << summary;
  EXPECT_GE(run->observed.calls.size(), 200u) << summary;
  int64_t before_crash = 0, first_after_restart = -1;
  for (const scenario::ScenarioCall& c : run->observed.calls) {
    if (c.record.server_id != 1) continue;
    std::vector<std::string> words = absl::StrSplit(c.record.mensaje, ' ');
    int64_t total = -1;
    ASSERT_EQ(words.size(), 4u) << c.record.mensaje;
    ASSERT_TRUE(absl::SimpleAtoi(words[1], &total));
    if (c.record.started < absl::Seconds(2)) {
      before_crash = std::max(before_crash, total);
    } else if (c.record.started >= absl::Seconds(3)) {
      // The fresh process counts from 1, whichever of its calls ends first.
      const int64_t after = total;
      if (first_after_restart < 0 || after < first_after_restart) {
        first_after_restart = after;
      }
    }
  }
  EXPECT_GT(before_crash, 10) << summary;
  EXPECT_EQ(first_after_restart, 1) << summary;
}

}  // namespace
}  // namespace saludo::counter
