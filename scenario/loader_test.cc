#include "scenario/loader.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "scenario/services.h"
#include "runtime/testing/runfile.h"

namespace saludo::scenario {
namespace {

// A scenario file placed in scenario/scenarios/ (so its nginx path resolves).
std::string ScenarioDir() {
  return runtime::testing::RunfileDir(
      "scenario/scenarios/steady_round_robin.textproto");
}

const char kGood[] = R"(name: "t"
duration: "10s"
topology {
  nginx_config: "../../nginx/nginx.conf"
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "client" load { closed_loop { concurrency: 2 } duration: "10s" } }
}
)";

absl::Status Load(const std::string& extra, const std::string& base = kGood) {
  return LoadScenarioText(base + extra, ScenarioDir() + "/t.textproto")
      .status();
}

TEST(ScenarioLoaderTest, ShippedScenariosLoad) {
  for (const char* name :
       {"steady_round_robin", "hung_server_seed_conf", "hung_server_nginx_conf",
        "crashed_server", "weighted", "backup_server", "clock_skew",
        "partition", "flaky_network", "overload", "chaos_round_robin"}) {
    auto s = LoadScenario(ScenarioDir() + "/" + name + ".textproto");
    EXPECT_TRUE(s.ok()) << name << ": " << s.status();
  }
}

TEST(ScenarioLoaderTest, GoodScenarioParsesValues) {
  auto s = LoadScenarioText(
      std::string(kGood) +
          "faults { at: \"2s\" node: \"server1\" hang { duration: \"41s\" } }\n"
          "properties { latency { percentile: 99 at_most: \"5ms\" } }\n",
      ScenarioDir() + "/t.textproto");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->duration, absl::Seconds(10));
  ASSERT_EQ(s->faults.size(), 1u);
  EXPECT_EQ(s->faults[0].duration, absl::Seconds(41));
  EXPECT_EQ(s->clients[0].load.concurrency, 2);
  EXPECT_EQ(s->clients[0].load.deadline,
            absl::Seconds(5));  // documented default
  EXPECT_EQ(s->properties[0].label, "latency p99 <= 5ms");
}

void ExpectError(const absl::Status& status, const std::string& where,
                 const std::string& what) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), where))
      << status << "\nwant " << where;
  EXPECT_TRUE(absl::StrContains(status.message(), what))
      << status << "\nwant " << what;
}

TEST(ScenarioLoaderTest, UnknownFieldIsNamedWithItsPlace) {
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" hang_for { } }\n"),
              "t.textproto:9:", "no field named \"hang_for\"");
}

TEST(ScenarioLoaderTest, BadDurationNamesTheFieldPath) {
  ExpectError(
      Load("faults { at: \"1s\" node: \"server1\" hang { duration: \"fast\" } "
           "}\n"),
      "t.textproto:9:", "faults[0].hang.duration: expected a duration");
  ExpectError(Load("", std::string(kGood).replace(
                           std::string(kGood).find("\"10s\""), 5, "\"ten\"")),
              "t.textproto:2:1: duration", "got \"ten\"");
}

TEST(ScenarioLoaderTest, UnknownNodesAreListed) {
  ExpectError(Load("faults { at: \"1s\" node: \"server9\" crash {} }\n"),
              "faults[0].node",
              "unknown node \"server9\": expected one of client, nginx, "
              "server1, server2");
  ExpectError(
      Load("network { partitions { a: \"client\" b: \"nope\" start: \"1s\" "
           "duration: \"1s\" } }\n"),
      "network.partitions[0]", "unknown node \"nope\"");
}

// Where calls go and what they carry: checked where they are read.
TEST(ScenarioLoaderTest, TargetPortMethodAndMetadata) {
  auto with = [](const std::string& load) {
    std::string base = kGood;
    const std::string from = "duration: \"10s\" } }";
    base.replace(base.find(from), from.size(),
                 "duration: \"10s\" " + load + " } }");
    return base;
  };
  auto s = LoadScenarioText(
      with("target_port: 3005 method: \"/Saludo/otro\" "
           "metadata { name: \"x-call-id\" per_call_prefix: \"c\" } "
           "metadata { name: \"x-tenant\" one_of { values: [\"a\", \"b\"] } }"),
      ScenarioDir() + "/t.textproto");
  ASSERT_TRUE(s.ok()) << s.status();
  const client::LoadOptions& load = s->clients[0].load;
  EXPECT_EQ(s->clients[0].target_port, 3005);
  EXPECT_EQ(load.method, "/Saludo/otro");
  ASSERT_EQ(load.metadata.size(), 2u);
  EXPECT_EQ(client::MetadataValue(load.metadata[0], 7), "c7");
  const std::string drawn = client::MetadataValue(load.metadata[1], 7);
  EXPECT_TRUE(drawn == "a" || drawn == "b") << drawn;
  EXPECT_EQ(client::MetadataValue(load.metadata[1], 7), drawn);  // stable
  ExpectError(Load("", with("target_port: 3006")), "t.textproto:7:",
              "topology.clients[0].load.target_port: nginx does not listen on "
              "3006: expected one of 3005");
  ExpectError(Load("", with("metadata { name: \"X-Call\" fixed: \"1\" }")),
              "t.textproto:7:", "metadata name \"X-Call\": expected lowercase");
  ExpectError(Load("", with("metadata { name: \"x\" one_of { } }")),
              "t.textproto:7:", "a fixed value, or 1..64 to choose from");
  ExpectError(Load("", with("method: \"Saludo/saludar\"")), "t.textproto:7:",
              "load.method: method must be a path");
}

TEST(ScenarioLoaderTest, ContradictoryFaults) {
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" restart {} }\n"),
              "faults[0]",
              "server1 is not down at 1s: expected a crash before");
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" crash {} }\n"
                   "faults { at: \"2s\" node: \"server1\" crash {} }\n"),
              "faults[1]", "already down at 2s");
  ExpectError(
      Load(
          "faults { at: \"1s\" node: \"server1\" pause { duration: \"5s\" } }\n"
          "faults { at: \"2s\" node: \"server1\" crash {} }\n"),
      "faults[1]", "paused until 6s");
  ExpectError(
      Load("faults { at: \"1s\" node: \"server1\" slow { delay: \"1s\" } }\n"
           "faults { at: \"1s\" node: \"server1\" slow { delay: \"2s\" } }\n"),
      "faults[1]", "contradicts faults[0]");
  ExpectError(Load("faults { at: \"11s\" node: \"server1\" crash {} }\n"),
              "faults[0].at", "after the end of the scenario");
  ExpectError(
      Load("faults { at: \"1s\" node: \"nginx\" hang { duration: \"1s\" } }\n"),
      "faults[0].node", "not a backend");
}

TEST(ScenarioLoaderTest, BackendsMustMatchTheNginxUpstream) {
  std::string base = kGood;
  base.replace(base.find("127.0.0.1:3002"), 14, "127.0.0.1:3999");
  ExpectError(Load("", base), "topology.backends", "server 127.0.0.1:3002 (");
}

TEST(ScenarioLoaderTest, BadValuesAndMissingParts) {
  ExpectError(Load("network { default_link { loss: 1.5 } }\n"),
              "network.default_link.loss", "probability in [0, 1]");
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" errors { code: "
                   "\"BROKEN\" rate: 1 } }\n"),
              "faults[0].errors",
              "code \"BROKEN\": expected a gRPC status name");
  ExpectError(
      Load(
          "properties { balanced_share { backends: \"x\" tolerance: 0.1 } }\n"),
      "properties[0].balanced_share.backends", "unknown backend \"x\"");
  ExpectError(Load("properties { }\n"), "properties[0]", "expected one of");
  std::string no_nginx = kGood;
  no_nginx.replace(no_nginx.find("../../nginx/nginx.conf"), 22, "missing.conf");
  ExpectError(Load("", no_nginx), "topology.nginx_config",
              "cannot read nginx configuration");
  EXPECT_EQ(LoadScenario("/nonexistent.textproto").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ScenarioLoaderTest, NumbersOutOfRangeAreRefusedWhereTheyAreRead) {
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" hang { duration: "
                   "\"25h\" } }\n"),
              "faults[0].hang.duration", "at most 24h");
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" clock_drift { "
                   "ppm: 2000000 } }\n"),
              "faults[0].clock_drift", "ppm must be in");
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" clock_jump { by: "
                   "\"-400d\" } }\n"),
              "faults[0].clock_jump", "expected");
  std::string busy = kGood;
  busy.replace(busy.find("concurrency: 2"), 14, "concurrency: 200000");
  ExpectError(Load("", busy), "topology.clients[0].load.closed_loop",
              "concurrency must be in [1, 100000]");
  std::string long_run = kGood;
  long_run.replace(long_run.find("duration: \"10s\""), 15, "duration: \"48h\"");
  ExpectError(Load("", long_run), "duration", "at most 24h");
}

TEST(ScenarioLoaderTest, ValuesThatUsedToCrashTheSimulatorAreRefused) {
  for (const char* rate : {"1e12", "inf", "nan", "-1"}) {
    std::string text = kGood;
    text.replace(text.find("closed_loop { concurrency: 2 }"), 30,
                 std::string("open_loop { calls_per_second: ") + rate + " }");
    ExpectError(Load("", text), "topology.clients[0].load.open_loop",
                "calls_per_second must be in (0, 1000000]");
  }
  for (const char* ppm : {"inf", "1e300", "-inf", "nan"}) {
    ExpectError(Load(std::string("faults { at: \"1s\" node: \"server1\" "
                                 "clock_drift { ppm: ") +
                     ppm + " } }\n"),
                "faults[0].clock_drift", "ppm must be in");
  }
  std::string max_int = kGood;
  max_int.replace(max_int.find("concurrency: 2"), 14,
                  "concurrency: 2147483647");
  ExpectError(Load("", max_int), "topology.clients[0].load.closed_loop",
              "concurrency must be in [1, 100000]");
}

TEST(ScenarioLoaderTest, TheCallsAScenarioWouldStartAreBoundedUpFront) {
  const std::string busy = R"(name: "t"
duration: "24h"
topology {
  nginx_config: "../../nginx/nginx.conf"
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "client" load { open_loop { calls_per_second: 1000000 } duration: "24h" } }
}
)";
  ExpectError(Load("", busy), "topology.clients[0].load",
              "this scenario would start up to 86400000000 calls; the limit "
              "is 2000000");
  std::string closed = kGood;
  closed.replace(closed.find("concurrency: 2"), 14, "concurrency: 100000");
  ExpectError(Load("", closed), "topology.clients[0].load",
              "this scenario would start up to");
  // A closed loop whose links can take no time cannot be bounded up front:
  // it is accepted, and every load carries the limit as a guard.
  auto s = LoadScenarioText(
      std::string(kGood) +
          "network { default_link { latency { lognormal { median: \"1ms\" "
          "sigma: 1 } } } }\n",
      ScenarioDir() + "/t.textproto");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->clients[0].load.max_calls, kMaxCallsPerRun);
}

TEST(ScenarioLoaderTest, LinkFaultsAndCrashOnCall) {
  auto s = Load(
      "faults { at: \"1s\" node: \"server1\" latency_spike { duration: "
      "\"2s\" latency { fixed: \"100ms\" } one_way: true } }\n"
      "faults { at: \"1s\" node: \"client\" loss_burst { peer: \"nginx\" "
      "duration: \"1s\" loss: 0.3 } }\n"
      "faults { at: \"2s\" node: \"server2\" crash_on_call {} }\n"
      "faults { at: \"5s\" node: \"server2\" restart {} }\n");
  EXPECT_TRUE(s.ok()) << s;
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" latency_spike { "
                   "peer: \"server1\" duration: \"1s\" latency { fixed: "
                   "\"1s\" } } }\n"),
              "faults[0].latency_spike.peer", "another node than");
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" loss_burst { "
                   "duration: \"1s\" loss: 0 } }\n"),
              "faults[0].loss_burst.loss", "probability in (0, 1]");
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" latency_spike { "
                   "duration: \"1s\" } }\n"),
              "faults[0].latency_spike.latency", "missing");
}

TEST(ScenarioLoaderTest, PropertiesThatCouldNeverFailAreRefused) {
  ExpectError(Load("properties { balanced_share { backends: \"server1\" "
                   "tolerance: 0.1 from: \"5s\" until: \"2s\" } }\n"),
              "properties[0].balanced_share.until",
              "the window [5s, 2s) is empty");
  ExpectError(Load("properties { balanced_share { backends: \"server1\" "
                   "weights: 0 tolerance: 0.1 } }\n"),
              "properties[0].balanced_share.weights",
              "expected a positive weight");
}

// A service kind without a control service, as a user might register one.
const bool kQuietRegistered = RegisterServiceKind([] {
  ServiceKind k;
  k.name = "quiet";
  k.boot = [](int) -> runtime::BootFn {
    return [](const runtime::HostContext&) {
      return std::make_unique<runtime::Host>();
    };
  };
  k.workload = client::SaludoWorkload;
  return k;
}());

TEST(ScenarioLoaderTest, ServiceKindsAreCheckedByName) {
  ASSERT_TRUE(kQuietRegistered);
  std::string other = kGood;
  other.replace(other.find("address: \"127.0.0.1:3001\""), 25,
                "address: \"127.0.0.1:3001\" service: \"nope\"");
  ExpectError(Load("", other), "topology.backends[0].service",
              "unknown service \"nope\": expected one of quiet, saludo");
  std::string quiet = kGood;
  quiet.replace(quiet.find("address: \"127.0.0.1:3001\""), 25,
                "address: \"127.0.0.1:3001\" service: \"quiet\"");
  auto s = LoadScenarioText(quiet, ScenarioDir() + "/t.textproto");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->backends[0].service, "quiet");
  EXPECT_EQ(s->backends[1].service, "saludo");
  ExpectError(Load("faults { at: \"1s\" node: \"server1\" hang { duration: "
                   "\"1s\" } }\n",
                   quiet),
              "faults[0].node", "runs quiet, which has no control service");
  // A crash needs no control service.
  EXPECT_TRUE(
      Load("faults { at: \"1s\" node: \"server1\" crash {} }\n", quiet).ok());
}

}  // namespace
}  // namespace saludo::scenario
