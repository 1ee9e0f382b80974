#include "sim/seed_world.h"

#include "gtest/gtest.h"

namespace saludo::sim {
namespace {

SeedWorldOptions Options(uint64_t seed) {
  SeedWorldOptions o;
  o.seed = seed;
  o.keep_log = true;
  o.load.requests = 200;
  o.load.concurrency = 4;
  o.link.latency =
      Distribution::Uniform(absl::Microseconds(100), absl::Microseconds(900));
  return o;
}

TEST(SeedWorldTest, BalancesTheSeedsTwoServers) {
  SeedWorld w = BuildSeedWorld(Options(1));
  w.world->Run();
  int per_server[3] = {};
  for (const auto& r : w.world->records(w.client)) {
    ASSERT_TRUE(r.status.ok());
    ++per_server[r.server_id];
  }
  EXPECT_EQ(per_server[1], 100);
  EXPECT_EQ(per_server[2], 100);
}

TEST(SeedWorldTest, DeterminismCheckPassesForTheSameSeed) {
  DeterminismReport r = CheckDeterminism([] {
    SeedWorld w = BuildSeedWorld(Options(7));
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
    SeedWorld w = BuildSeedWorld(Options(7));
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

TEST(SeedWorldTest, HungServerWithThePlaceholderCostsEveryOtherCall) {
  SeedWorldOptions o = Options(3);
  o.keep_log = false;
  o.load.requests = 6;
  o.load.concurrency = 1;
  o.load.deadline = absl::Seconds(3);
  o.server1_hang = absl::Seconds(41);
  SeedWorld w = BuildSeedWorld(o);
  w.world->Run();
  int deadline_exceeded = 0;
  for (const auto& r : w.world->records(w.client)) {
    deadline_exceeded += r.status.code() == absl::StatusCode::kDeadlineExceeded;
  }
  // The placeholder has no timeouts or health checks (unlike nginx).
  EXPECT_EQ(deadline_exceeded, 3);
}

}  // namespace
}  // namespace saludo::sim
