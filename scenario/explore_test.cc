#include "scenario/explore.h"

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "runtime/testing/runfile.h"
#include "scenario/loader.h"

namespace saludo::scenario {
namespace {

std::string NginxDir() {
  return runtime::testing::RunfileDir("nginx/nginx.conf");
}

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// The scenario made from `conf`, loaded as the CLI loads it.
absl::StatusOr<LoadedScenario> Loaded(const ExploredScenario& e) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(e.proto, &text);
  return LoadScenarioText(text, std::string(getenv("TEST_TMPDIR")) + "/x");
}

std::vector<std::string> Labels(const LoadedScenario& s) {
  std::vector<std::string> labels;
  for (const PropertySpec& p : s.properties) labels.push_back(p.label);
  return labels;
}

TEST(ExploreTest, NginxConfGivesItsBackendsAndPropertiesFromItsSettings) {
  auto e = ExploreScenario(NginxDir() + "/nginx.conf", {});
  ASSERT_TRUE(e.ok()) << e.status();
  auto s = Loaded(*e);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->backends.size(), 2u);
  EXPECT_EQ(s->backends[0].address, "127.0.0.1:3001");
  EXPECT_EQ(s->backends[1].name, "server2");
  EXPECT_EQ(s->clients[0].load.concurrency, 4);
  EXPECT_EQ(s->chaos.max_down, 1);
  EXPECT_EQ(s->chaos.start, absl::Seconds(10));
  // 2 tries of a 1 s connect and a 1 s read timeout, under the 5 s deadline.
  EXPECT_EQ(Labels(*s),
            (std::vector<std::string>{
                "every call completes by its deadline", "availability",
                "attempts per call <= 2",
                "circuit breaker: no calls inside fail_timeout after max_fails",
                "latency p100 <= 4.05s",
                "balanced share of server1, server2 within 0.05"}));
  EXPECT_EQ(s->properties.back().until, absl::Seconds(10));
  EXPECT_TRUE(e->notes.empty()) << absl::StrJoin(e->notes, "\n");
}

TEST(ExploreTest, WeightsLeastConnAndBackupsAreRead) {
  const std::string weighted = Write("w.conf", R"(events {}
http {
  upstream u {
    server 127.0.0.1:4001 weight=3;
    server 127.0.0.1:4002;
    server 127.0.0.1:4003 backup;
  }
  upstream l { least_conn; server 127.0.0.1:4001; server 127.0.0.1:4004; }
  server {
    listen 127.0.0.1:5000 http2;
    location /Saludo/ { grpc_pass grpc://u; grpc_read_timeout 30s; }
    location /Other/ { grpc_pass grpc://l; }
  }
}
)");
  ExploreOptions o;
  o.deadline = absl::Seconds(2);
  auto e = ExploreScenario(weighted, o);
  ASSERT_TRUE(e.ok()) << e.status();
  auto s = Loaded(*e);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->backends.size(), 4u);  // 4001 once
  EXPECT_EQ(s->backends[3].address, "127.0.0.1:4004");
  const PropertySpec& share = s->properties.back();
  EXPECT_EQ(share.backends, (std::vector<std::string>{"server1", "server2"}));
  EXPECT_EQ(share.weights, (std::vector<double>{3, 1}));
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(Labels(*s), "|"),
                                "latency p100 <= 2s"));
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(e->notes, "|"), "/Saludo/"));
}

TEST(ExploreTest, BadOptionsAndFilesAreRefusedWithWhere) {
  ExploreOptions o;
  o.concurrency = 0;
  EXPECT_TRUE(absl::StrContains(
      ExploreScenario(NginxDir() + "/nginx.conf", o).status().message(),
      "--concurrency must be in [1, 1000]"));
  o = {};
  o.chaos_text = "faults { per_minute: }";
  o.chaos_path = "space.txt";
  EXPECT_TRUE(absl::StrContains(
      ExploreScenario(NginxDir() + "/nginx.conf", o).status().message(),
      "space.txt:1:"));
  const std::string broken = Write("b.conf", "http { upstream u { server; } }");
  EXPECT_TRUE(absl::StrContains(
      ExploreScenario(broken, {}).status().message(), "b.conf:1"));
}

// A user's own fault space replaces the default; a chaos section that
// starts at 0s leaves no fault-free window for shares.
TEST(ExploreTest, AUsersFaultSpaceIsUsed) {
  ExploreOptions o;
  o.chaos_text = "faults { fault { hang {} } per_minute: 3 duration { fixed: \"2s\" } }";
  o.chaos_path = "mine.txt";
  auto e = ExploreScenario(NginxDir() + "/nginx.conf", o);
  ASSERT_TRUE(e.ok()) << e.status();
  auto s = Loaded(*e);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->chaos.faults.size(), 1u);
  EXPECT_EQ(s->chaos.faults[0].fault.kind_case(), Fault::kHang);
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(e->notes, "|"),
                                "the fault space starts at 0s"));
}

}  // namespace
}  // namespace saludo::scenario
