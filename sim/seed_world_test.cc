#include "sim/seed_world.h"

#include <memory>

#include "gtest/gtest.h"
#include "runtime/testing/runfile.h"

namespace saludo::sim {
namespace {

std::string NginxConf() {
  return runtime::testing::Runfile("nginx/nginx.conf");
}

SeedWorldOptions Options(uint64_t seed) {
  SeedWorldOptions o;
  o.nginx_config = NginxConf();
  o.seed = seed;
  o.keep_log = true;
  o.load.requests = 200;
  o.load.concurrency = 4;
  o.link.latency =
      Distribution::Uniform(absl::Microseconds(100), absl::Microseconds(900));
  return o;
}

TEST(SeedWorldTest, BalancesTheSeedsTwoServers) {
  SeedWorld w = *BuildSeedWorld(Options(1));
  w.world->Run();
  int per_server[3] = {};
  for (const auto& r : w.world->records(w.client)) {
    ASSERT_TRUE(r.status.ok());
    ++per_server[r.server_id];
  }
  EXPECT_EQ(per_server[1], 100);
  EXPECT_EQ(per_server[2], 100);
}

// A load of known size through the twin: its access log was given room for
// every call up front, so it never moved its entries as it filled.
TEST(SeedWorldTest, TheTwinsAccessLogIsReservedForAKnownLoad) {
  SeedWorld w = *BuildSeedWorld(Options(1));
  const NginxTwin& twin = *w.world->twin(w.balancer);
  ASSERT_GE(twin.access_log().capacity(), 200u);
  const TwinLogEntry* start = twin.access_log().data();
  w.world->Run();
  EXPECT_EQ(twin.access_log().size(), 200u);
  EXPECT_EQ(twin.access_log().data(), start);
}

TEST(SeedWorldTest, DeterminismCheckPassesForTheSameSeed) {
  DeterminismReport r = CheckDeterminism([] {
    SeedWorld w = *BuildSeedWorld(Options(7));
    w.world->Run();
    return std::move(w.world);
  });
  EXPECT_TRUE(r.deterministic);
  EXPECT_EQ(r.hash_first, r.hash_second);
  EXPECT_GT(r.events, 1000u);
}

TEST(SeedWorldTest, DeterminismCheckFindsTheFirstDivergentEvent) {
  // A world that is not a function of its seed: the second build hangs
  // server1 from 5 ms on.
  int builds = 0;
  DeterminismReport r = CheckDeterminism([&] {
    SeedWorld w = *BuildSeedWorld(Options(7));
    if (++builds == 2) {
      w.world->HangAt(w.server1, absl::Milliseconds(5), absl::Seconds(1));
    }
    w.world->Run();
    return std::move(w.world);
  });
  EXPECT_FALSE(r.deterministic);
  EXPECT_NE(r.hash_first, r.hash_second);
  ASSERT_GE(r.first_divergence, 0);
  EXPECT_NE(r.first_event, r.second_event);
  EXPECT_NE(r.second_event.find("fault node=server1"), std::string::npos);
  EXPECT_NE(r.second_event.find("hang 1s"), std::string::npos)
      << r.second_event;
}

TEST(SeedWorldTest, HungServerAsNginxConfHandlesIt) {
  SeedWorldOptions o = Options(3);
  o.keep_log = false;
  o.load.requests = 6;
  o.load.concurrency = 1;
  o.load.deadline = absl::Seconds(3);
  o.server1_hang = absl::Seconds(41);
  SeedWorld w = *BuildSeedWorld(o);
  w.world->Run();
  // The live table of docs/NGINX_UPSTREAM.md: 504 (mapped to UNAVAILABLE),
  // server 2, 504, then server 2 while server 1 is out for fail_timeout.
  std::string order;
  for (const auto& r : w.world->records(w.client)) {
    order += r.status.ok() ? static_cast<char>('0' + r.server_id) : 'x';
  }
  EXPECT_EQ(order, "x2x222");
}

TEST(SeedWorldTest, BadConfigurationIsReported) {
  SeedWorldOptions o = Options(1);
  o.nginx_config = "/nonexistent.conf";
  EXPECT_EQ(BuildSeedWorld(o).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace saludo::sim
