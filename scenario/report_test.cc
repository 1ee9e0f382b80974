#include "scenario/report.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "runtime/testing/runfile.h"
#include "scenario/html_report.h"
#include "scenario/loader.h"
#include "scenario/runner.h"
#include "scenario/svg_chart.h"

namespace saludo::scenario {
namespace {

size_t LongestLine(const std::string& text) {
  size_t longest = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    longest = std::max(longest, line.size());
  }
  return longest;
}

TEST(ReportTest, WrapLinesBreaksAtSpacesAndIndentsWhatContinues) {
  EXPECT_EQ(WrapLines("short\n  also short", 20), "short\n  also short");
  EXPECT_EQ(WrapLines("  HOLDS  one two three four five", 20),
            "  HOLDS  one two\n    three four five");
  // A word longer than the width is cut.
  EXPECT_EQ(WrapLines(std::string(25, 'x'), 20),
            std::string(20, 'x') + "\n  " + std::string(5, 'x'));
  EXPECT_LE(LongestLine(WrapLines(std::string(300, 'y') + " z", 40)), 40u);
}

TEST(ReportTest, SideBySideStacksWhenTheTerminalIsNarrow) {
  const std::string wide = SideBySide("live", "a\nb", "simulated", "c", 100);
  EXPECT_EQ(wide, "live | simulated\na    | c\nb    | \n");
  const std::string narrow =
      SideBySide("live", std::string(60, 'a'), "simulated", "c", 40);
  EXPECT_EQ(narrow, "== live ==\n" + std::string(40, 'a') + "\n  " +
                        std::string(20, 'a') + "\n== simulated ==\nc");
}

TEST(ReportTest, HtmlEscapeCoversMarkup) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

// The page for one seed is the same bytes every time, names what it draws,
// and escapes the scenario's own text.
TEST(ReportTest, TheHtmlPageIsDeterministicAndSelfContained) {
  auto s = LoadScenario(runtime::testing::Runfile(
      "scenario/scenarios/hung_server_nginx_conf.textproto"));
  ASSERT_TRUE(s.ok()) << s.status();
  s->name = "hung <server> & co";
  auto a = RunSimulated(*s, 1, false), b = RunSimulated(*s, 1, false);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string page = RunToHtml(*s, *a);
  EXPECT_EQ(page, RunToHtml(*s, *b));
  EXPECT_TRUE(absl::StrContains(page, "<h1>hung &lt;server&gt; &amp; co</h1>"));
  for (const char* chart : {"calls", "latency", "histogram", "cdf",
                            "balancer", "attempts"}) {
    EXPECT_TRUE(absl::StrContains(
        page, absl::StrCat("data-chart=\"", chart, "\"")))
        << chart;
  }
  EXPECT_FALSE(absl::StrContains(page, "data-chart=\"clocks\""));
  EXPECT_FALSE(absl::StrContains(page, "<script"));
  EXPECT_TRUE(absl::StrContains(page, "default-src 'none'"));
}

}  // namespace
}  // namespace saludo::scenario
