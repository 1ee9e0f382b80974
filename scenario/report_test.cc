#include "scenario/report.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/report.pb.h"
#include "runtime/testing/runfile.h"
#include "scenario/html_report.h"
#include "scenario/loader.h"
#include "scenario/properties.h"
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

// What a trace holds, read back through a JSON parser.
struct TraceFacts {
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> lanes;
  std::set<std::pair<int, int>> named_threads;
  std::map<std::string, int> flow_ends;  // id -> s count + 10 * f count
  std::map<std::string, int> outcomes;   // attempts by outcome
  std::vector<std::pair<std::string, double>> faults;  // name, duration us
  int counters = 0;
};

TraceFacts ReadTrace(const std::string& json) {
  google::protobuf::Struct doc;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &doc).ok());
  TraceFacts f;
  for (const auto& v : doc.fields().at("traceEvents").list_value().values()) {
    const auto& e = v.struct_value().fields();
    const std::string ph = e.at("ph").string_value();
    EXPECT_TRUE(e.count("name") && e.count("pid")) << ph;
    const int pid = e.at("pid").number_value();
    const int tid = e.count("tid") ? e.at("tid").number_value() : -1;
    if (ph == "X") {
      const double ts = e.at("ts").number_value(), dur = e.at("dur").number_value();
      EXPECT_GE(dur, 0);
      f.lanes[{pid, tid}].push_back({ts, ts + dur});
      const std::string cat = e.at("cat").string_value();
      const auto& args = e.at("args").struct_value().fields();
      if (cat == "attempts") ++f.outcomes[args.at("outcome").string_value()];
      if (cat == "faults") f.faults.push_back({e.at("name").string_value(), dur});
    } else if (ph == "M" && e.at("name").string_value() == "thread_name") {
      f.named_threads.insert({pid, tid});
    } else if (ph == "s" || ph == "f") {
      const std::string id = absl::StrCat(e.at("id").number_value());
      f.flow_ends[id] += ph == "s" ? 1 : 10;
      if (ph == "f") {
        EXPECT_EQ(e.at("bp").string_value(), "e");
      }
    } else if (ph == "C") {
      ++f.counters;
    } else {
      EXPECT_TRUE(ph == "M" || ph == "i") << ph;
    }
  }
  return f;
}

// The trace follows the Trace Event Format so that Perfetto draws it right:
// no two complete events overlap on one track, every track is named, each
// flow has one start and one end; and it shows every attempt nginx made,
// refused ones too, and faults as spans of their length.
TEST(ReportTest, TheTraceHasTracksThatNeverOverlapAndEveryAttempt) {
  for (const char* name : {"crashed_server", "hung_server_nginx_conf"}) {
    auto s = LoadScenario(runtime::testing::Runfile(
        absl::StrCat("scenario/scenarios/", name, ".textproto")));
    ASSERT_TRUE(s.ok()) << s.status();
    auto run = RunSimulated(*s, 1, /*keep_log=*/true);
    ASSERT_TRUE(run.ok());
    const TraceFacts f = ReadTrace(RunToChromeTrace(*s, *run));
    for (auto [track, spans] : f.lanes) {
      EXPECT_TRUE(f.named_threads.count(track)) << track.first;
      std::sort(spans.begin(), spans.end());
      for (size_t i = 1; i < spans.size(); ++i) {
        ASSERT_GE(spans[i].first, spans[i - 1].second - 1e-3)
            << name << " track " << track.first << "/" << track.second;
      }
    }
    for (const auto& [id, ends] : f.flow_ends) EXPECT_EQ(ends, 11) << id;
    size_t attempts = 0;
    for (const auto& e : run->observed.balancer) attempts += e.attempt_at.size();
    int traced = 0;
    for (const auto& [outcome, n] : f.outcomes) traced += n;
    EXPECT_EQ(static_cast<size_t>(traced), attempts);
    EXPECT_GT(f.counters, 0);
    if (std::string(name) == "crashed_server") {
      EXPECT_GT(f.outcomes.count("refused"), 0u);
    } else {
      EXPECT_GT(f.outcomes.count("read timeout"), 0u);
      ASSERT_EQ(f.faults.size(), 1u);
      EXPECT_EQ(f.faults[0], std::make_pair(std::string("hang"), 41e6));
    }
  }
}

// The JSON report parses back as proto/report.proto's RunReport, names
// backends as the scenario does, says where each unmodelled directive is,
// and with calls lists each call with every attempt nginx made.
TEST(ReportTest, TheJsonReportIsARunReportWithEveryCallAndAttempt) {
  auto s = LoadScenario(
      runtime::testing::Runfile("scenario/scenarios/crashed_server.textproto"));
  ASSERT_TRUE(s.ok()) << s.status();
  auto run = RunSimulated(*s, 1, /*keep_log=*/true);
  ASSERT_TRUE(run.ok());
  RunReport report;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  RunToJson(*s, *run, /*calls=*/true), &report)
                  .ok());
  EXPECT_EQ(report.summary().calls(), run->observed.calls.size());
  EXPECT_GT(report.summary().successful_calls_per_backend().at("server1"), 0);
  EXPECT_EQ(report.verdicts_size(), s->properties.size());
  ASSERT_GT(report.unmodeled_size(), 0);
  EXPECT_TRUE(absl::StrContains(report.unmodeled(0).where(), "nginx.conf:"))
      << report.unmodeled(0).where();
  ASSERT_EQ(report.calls_size(), run->observed.calls.size());
  EXPECT_EQ(report.nginx_log_size(), run->observed.balancer.size());
  int refused = 0, attempts = 0;
  for (const CallReport& c : report.calls()) {
    attempts += c.attempts_size();
    for (const AttemptReport& a : c.attempts()) {
      refused += a.outcome() == "refused";
      EXPECT_TRUE(a.peer() == "server1" || a.peer() == "server2") << a.peer();
    }
    if (c.status() == "OK") {
      ASSERT_GT(c.attempts_size(), 0);
      EXPECT_EQ(c.attempts(c.attempts_size() - 1).peer(), c.server());
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GE(attempts, report.calls_size());
  // Without calls (and without an event log) the rest is the same.
  RunReport brief;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(RunToJson(*s, *run),
                                                          &brief)
                  .ok());
  EXPECT_EQ(brief.calls_size(), 0);
  EXPECT_EQ(brief.summary().calls(), report.summary().calls());
}

// compare's JSON: both runs under "live" and "simulated", each a RunReport
// whose summary counts the breaker's openings.
// A map's entries print sorted by key, whatever order protobuf's hash map
// keeps them in (which differs from one process to the next): a report is
// the same bytes every time its run is. Forty keys put in scrambled order;
// plain MessageToJsonString printed them unsorted in this test.
TEST(ReportTest, JsonPrintsMapEntriesSortedByKey) {
  CallSummary summary;
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    keys.push_back(absl::StrCat("server", (i * 17) % 40 + 100));
    (*summary.mutable_successful_calls_per_backend())[keys.back()] = i;
    (*summary.mutable_calls_per_status())[absl::StrCat("S", 99 - i)] = i;
  }
  const std::string json = ProtoToJson(summary, /*pretty=*/false);
  std::sort(keys.begin(), keys.end());
  size_t at = 0;
  for (const std::string& key : keys) {
    const size_t found = json.find("\"" + key + "\"", at);
    ASSERT_NE(found, std::string::npos)
        << key << " after " << at << ": " << json;
    at = found;
  }
  at = 0;
  for (int i = 60; i <= 99; ++i) {
    const size_t found = json.find(absl::StrCat("\"S", i, "\""), at);
    ASSERT_NE(found, std::string::npos) << i << ": " << json;
    at = found;
  }
  CallSummary back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  EXPECT_EQ(back.successful_calls_per_backend().size(), 40);
  EXPECT_EQ(back.successful_calls_per_backend().at("server117"), 1);
}

TEST(ReportTest, CompareJsonHoldsBothRunsWithBreakerOpenings) {
  auto s = LoadScenario(
      runtime::testing::Runfile("scenario/scenarios/crashed_server.textproto"));
  ASSERT_TRUE(s.ok()) << s.status();
  auto run = RunSimulated(*s, 1, /*keep_log=*/false);
  ASSERT_TRUE(run.ok());
  google::protobuf::Struct both;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  CompareToJson(*s, *run, *run), &both)
                  .ok());
  for (const char* key : {"live", "simulated"}) {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(
                    both.fields().at(key).struct_value(), &json)
                    .ok());
    RunReport report;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &report).ok())
        << key;
    EXPECT_EQ(report.summary().calls(), run->observed.calls.size());
    EXPECT_EQ(report.summary().breaker_openings(),
              BreakerWindows(*s, run->observed.balancer).size());
    EXPECT_GT(report.summary().breaker_openings(), 0);
  }
}

}  // namespace
}  // namespace saludo::scenario
