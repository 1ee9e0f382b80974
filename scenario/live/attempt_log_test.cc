#include "scenario/live/attempt_log.h"

#include "gtest/gtest.h"

namespace saludo::scenario {
namespace {

const absl::Time kStart = absl::FromUnixMillis(1764378000000);

TEST(AttemptLogTest, AttemptsEndOneAfterAnotherAtTheRequestsEnd) {
  auto e = ParseAttemptLogLine(
      "1764378002.500|200|1.020|127.0.1.1:41001, 127.0.1.2:41002|504, 200|"
      "1.001, 0.004",
      {{"127.0.1.1:41001", "127.0.0.1:3001"},
       {"127.0.1.2:41002", "127.0.0.1:3002"}},
      kStart);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(e->request_time, absl::Milliseconds(1020));
  ASSERT_EQ(e->upstream_addr.size(), 2u);
  EXPECT_EQ(e->upstream_addr[0], "127.0.0.1:3001");
  EXPECT_EQ(e->upstream_status[0], 504);
  EXPECT_EQ(e->attempt_end[1], absl::Milliseconds(2500));
  EXPECT_EQ(e->attempt_at[1], absl::Milliseconds(2496));
  EXPECT_EQ(e->attempt_end[0], absl::Milliseconds(2496));
  EXPECT_EQ(e->attempt_at[0], absl::Milliseconds(1495));
}

TEST(AttemptLogTest, RedirectsNginxsOwnAnswersAndBadLines) {
  // error_page to a named location: two upstream groups.
  auto redirect = ParseAttemptLogLine(
      "1764378001.000|200|0.010|127.0.1.1:1 : 127.0.1.2:2|502 : 200|"
      "0.001 : 0.002",
      {}, kStart);
  ASSERT_TRUE(redirect.has_value());
  EXPECT_EQ(redirect->upstream_addr.size(), 2u);
  EXPECT_EQ(redirect->attempt_at[0], absl::Milliseconds(997));
  auto own = ParseAttemptLogLine("1764378001.000|404|0.000|-|-|-", {}, kStart);
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->status, 404);
  EXPECT_TRUE(own->upstream_addr.empty());
  // A connect that never got an answer logs "-" as its status.
  auto dash = ParseAttemptLogLine(
      "1764378001.000|502|1.000|127.0.1.1:1|-|1.000", {}, kStart);
  ASSERT_TRUE(dash.has_value());
  EXPECT_EQ(dash->upstream_status[0], 0);
  EXPECT_FALSE(ParseAttemptLogLine("200 upstream=x", {}, kStart).has_value());
  EXPECT_FALSE(ParseAttemptLogLine("1.5|200|0.001|a, b|200|0.001", {}, kStart)
                   .has_value());
}

}  // namespace
}  // namespace saludo::scenario
