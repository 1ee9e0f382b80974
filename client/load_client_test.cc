#include "client/load_client.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "client/summary.h"
#include "gtest/gtest.h"
#include "proto/control.pb.h"
#include "runtime/testing/fakes.h"
#include "services/saludo_service.h"

namespace saludo::client {
namespace {

using runtime::testing::DirectChannel;
using runtime::testing::DirectRegistry;
using runtime::testing::ManualClock;

class LoadClientTest : public ::testing::Test {
 protected:
  LoadClientTest()
      : faults_(&clock_, 1),
        service_(1, &clock_, &clock_, &faults_, nullptr),
        channel_(&registry_, &clock_) {
    service_.RegisterWith(registry_);
  }

  // What a started load reported: its records, once it is done.
  struct Outcome {
    std::vector<CallRecord> records;
    bool done = false;
  };

  // Starts `client`; its records land in `*out` when the load ends.
  static void StartInto(LoadClient& client, Outcome* out) {
    client.Start([out](std::vector<CallRecord> all) {
      out->records = std::move(all);
      out->done = true;
    });
  }

  std::vector<CallRecord> Run(LoadOptions options,
                              absl::Duration run_for = absl::Minutes(1)) {
    LoadClient client(&clock_, &channel_, options);
    Outcome outcome;
    StartInto(client, &outcome);
    clock_.Advance(run_for);
    EXPECT_TRUE(outcome.done);
    return outcome.records;
  }

  ManualClock clock_;
  services::FaultState faults_;
  services::SaludoService service_;
  DirectRegistry registry_;
  DirectChannel channel_;
};

TEST_F(LoadClientTest, AllCallsCompleteInOrderWithinConcurrency) {
  LoadOptions options;
  options.requests = 25;
  options.concurrency = 4;
  std::vector<CallRecord> records = Run(options);
  ASSERT_EQ(records.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(records[i].index, i);
    EXPECT_TRUE(records[i].status.ok());
    EXPECT_EQ(records[i].mensaje,
              "Hola, Nombre de testeo, te saluda el servidor 1");
  }
  EXPECT_EQ(channel_.max_in_flight(), 4);
}

TEST_F(LoadClientTest, AWorkloadThatKeepsNoMensajeReadsTheRest) {
  LoadOptions options;
  options.requests = 3;
  options.workload =
      std::make_shared<const Workload>(SaludoWorkloadWithoutText("Ana"));
  std::vector<CallRecord> records = Run(options);
  ASSERT_EQ(records.size(), 3u);
  for (const CallRecord& r : records) {
    EXPECT_TRUE(r.status.ok());
    EXPECT_EQ(r.server_id, 1);
    EXPECT_EQ(r.mensaje, "");
    EXPECT_GT(r.server_time_unix_nanos, 0);
  }
  // A reply that does not parse still fails the call, kept text or not.
  CallRecord record;
  EXPECT_FALSE(options.workload->read_reply("\xff\xff", &record));
}

TEST_F(LoadClientTest, HungServerGivesDeadlineExceededAtTheDeadline) {
  control::Faults f;
  f.set_hang_nanos(absl::ToInt64Nanoseconds(absl::Seconds(41)));
  faults_.Set(f);
  LoadOptions options;
  options.deadline = absl::Seconds(3);
  std::vector<CallRecord> records = Run(options);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(records[0].latency, absl::Seconds(3));
  LoadSummary s = Summarize(records);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.calls_per_status[absl::StatusCode::kDeadlineExceeded], 1);
}

TEST_F(LoadClientTest, DelaysShowInPercentiles) {
  control::Faults f;
  f.set_reply_delay_nanos(absl::ToInt64Nanoseconds(absl::Milliseconds(10)));
  faults_.Set(f);
  LoadOptions options;
  options.requests = 10;
  LoadSummary s = Summarize(Run(options));
  EXPECT_EQ(s.latency.p50, absl::Milliseconds(10));
  EXPECT_EQ(s.latency.max, absl::Milliseconds(10));
  EXPECT_EQ(s.elapsed, absl::Milliseconds(100));
  EXPECT_DOUBLE_EQ(s.calls_per_second, 100);
  EXPECT_EQ(s.calls_per_server[1], 10);
}

TEST_F(LoadClientTest, DurationModeKeepsCallingUntilItEnds) {
  control::Faults f;
  f.set_reply_delay_nanos(absl::ToInt64Nanoseconds(absl::Milliseconds(10)));
  faults_.Set(f);
  LoadOptions options;
  options.duration = absl::Milliseconds(95);
  options.concurrency = 2;
  std::vector<CallRecord> records = Run(options);
  // Two at a time, 10 ms each, starting until 95 ms: 10 rounds of 2.
  EXPECT_EQ(records.size(), 20u);
}

TEST_F(LoadClientTest, OpenLoopStartsAtItsRateWhateverTheReplies) {
  control::Faults f;
  f.set_reply_delay_nanos(absl::ToInt64Nanoseconds(absl::Milliseconds(50)));
  faults_.Set(f);
  LoadOptions options;
  options.duration = absl::Seconds(1);
  options.calls_per_second = 100;
  LoadClient client(&clock_, &channel_, options, &clock_);
  Outcome outcome;
  StartInto(client, &outcome);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(outcome.done);
  const std::vector<CallRecord>& records = outcome.records;
  EXPECT_EQ(records.size(), 100u);
  EXPECT_EQ(records[1].started - records[0].started, absl::Milliseconds(10));
  EXPECT_GE(channel_.max_in_flight(), 5);  // 50 ms replies, 10 ms apart
}

// Timers that fire 3 ms late, as a busy live timer thread may.
class LateTimers final : public runtime::Timers {
 public:
  explicit LateTimers(runtime::Timers* base) : base_(base) {}
  runtime::TimerId RunAfter(absl::Duration delay,
                            std::function<void()> callback) override {
    return base_->RunAfter(delay + absl::Milliseconds(3), std::move(callback));
  }
  bool Cancel(runtime::TimerId id) override { return base_->Cancel(id); }

 private:
  runtime::Timers* const base_;
};

// Each call is due at its own time from the start, so late timers delay
// each call a little but never add up: 100 calls/s for 1 s is 100 calls.
TEST_F(LoadClientTest, OpenLoopKeepsItsRateWhenTimersAreLate) {
  LoadOptions options;
  options.duration = absl::Seconds(1);
  options.calls_per_second = 100;
  LateTimers late(&clock_);
  LoadClient client(&clock_, &channel_, options, &late);
  Outcome outcome;
  StartInto(client, &outcome);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(outcome.done);
  ASSERT_EQ(outcome.records.size(), 100u);
  EXPECT_EQ(outcome.records[99].started - outcome.records[0].started,
            absl::Milliseconds(990 + 3));
}

TEST_F(LoadClientTest, StopEndsTheLoadOnceTheCallsInFlightComplete) {
  control::Faults f;
  f.set_reply_delay_nanos(absl::ToInt64Nanoseconds(absl::Milliseconds(10)));
  faults_.Set(f);
  for (const double rate : {0.0, 100.0}) {
    LoadOptions options;
    options.duration = absl::Seconds(10);
    options.concurrency = 2;
    options.calls_per_second = rate;
    LoadClient client(&clock_, &channel_, options, &clock_);
    Outcome outcome;
    StartInto(client, &outcome);
    clock_.Advance(absl::Milliseconds(35));
    client.Stop();
    EXPECT_FALSE(outcome.done) << rate;  // calls still in flight
    clock_.Advance(absl::Milliseconds(20));
    ASSERT_TRUE(outcome.done) << rate;
    EXPECT_LT(outcome.records.size(), 10u) << rate;
    for (const CallRecord& r : outcome.records) {
      EXPECT_TRUE(r.status.ok()) << rate;
    }
  }
}

TEST(ValidateLoadOptionsTest, RejectsNonsense) {
  LoadOptions o;
  o.requests = 0;
  EXPECT_EQ(ValidateLoadOptions(o).code(), absl::StatusCode::kInvalidArgument);
  o = LoadOptions();
  o.concurrency = 0;
  EXPECT_FALSE(ValidateLoadOptions(o).ok());
  o = LoadOptions();
  o.deadline = absl::ZeroDuration();
  EXPECT_FALSE(ValidateLoadOptions(o).ok());
  EXPECT_TRUE(ValidateLoadOptions(LoadOptions()).ok());
}

TEST(PercentileTest, NearestRank) {
  std::vector<absl::Duration> v;
  for (int i = 1; i <= 100; ++i) v.push_back(absl::Milliseconds(i));
  EXPECT_EQ(Percentile(v, 0.5), absl::Milliseconds(50));
  EXPECT_EQ(Percentile(v, 0.99), absl::Milliseconds(99));
  EXPECT_EQ(Percentile(v, 1.0), absl::Milliseconds(100));
  EXPECT_EQ(Percentile({absl::Seconds(1)}, 0.5), absl::Seconds(1));
}

TEST(PercentileTest, PercentilesAgreeWithASortWhateverTheOrder) {
  std::vector<absl::Duration> v;
  uint64_t x = 12345;
  for (int i = 0; i < 1001; ++i) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    v.push_back(absl::Microseconds(static_cast<int64_t>(x >> 54)));  // repeats
  }
  std::vector<absl::Duration> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<double> qs = {0.001, 0.5, 0.5, 0.9, 0.99, 0.999, 1.0};
  const std::vector<absl::Duration> got = Percentiles(v, qs);
  ASSERT_EQ(got.size(), qs.size());
  for (size_t i = 0; i < qs.size(); ++i) {
    EXPECT_EQ(got[i], Percentile(sorted, qs[i])) << "q=" << qs[i];
  }
  EXPECT_EQ(Percentiles({absl::Seconds(1)}, {0.5, 1.0}),
            (std::vector<absl::Duration>{absl::Seconds(1), absl::Seconds(1)}));
}

TEST(FormatTest, CallAndSummaryLines) {
  CallRecord ok;
  ok.index = 0;
  ok.server_id = 2;
  ok.mensaje = "Hola, x, te saluda el servidor 2";
  ok.latency = absl::Microseconds(1500);
  EXPECT_EQ(FormatCall(ok),
            "[1] servidor 2: Hola, x, te saluda el servidor 2 (1.500ms)");
  CallRecord bad;
  bad.index = 1;
  bad.status = absl::UnavailableError("no upstream");
  bad.latency = absl::Seconds(1);
  EXPECT_EQ(FormatCall(bad), "[2] UNAVAILABLE: no upstream (1000.000ms)");
  std::string text = FormatSummary(Summarize({ok, bad}));
  EXPECT_NE(text.find("per server: servidor 2=1"), std::string::npos) << text;
  EXPECT_NE(text.find("OK=1 UNAVAILABLE=1"), std::string::npos) << text;
}

// Counts per server and per status hold every key seen, and only those,
// whether a server id is counted by index (0-15) or not.
TEST(SummaryTest, CountsEveryServerIdAndStatusCodeSeen) {
  std::vector<CallRecord> records;
  for (int server_id : {0, 3, 3, 15, 16, 1000, -2}) {
    CallRecord r;
    r.server_id = server_id;
    records.push_back(r);
  }
  for (int code : {14, 16, 17, 99, -1}) {
    CallRecord r;
    r.server_id = 5;  // a failed call counts for no server
    r.status = absl::Status(static_cast<absl::StatusCode>(code), "x");
    records.push_back(r);
  }
  const LoadSummary s = Summarize(records);
  EXPECT_EQ(s.calls, 12);
  EXPECT_EQ(s.failed, 5);
  EXPECT_EQ(s.calls_per_server,
            (std::map<int, int64_t>{
                {-2, 1}, {0, 1}, {3, 2}, {15, 1}, {16, 1}, {1000, 1}}));
  // absl::Status itself keeps a code outside 0-16 as UNKNOWN.
  EXPECT_EQ(s.calls_per_status, (std::map<absl::StatusCode, int64_t>{
                                    {absl::StatusCode::kOk, 7},
                                    {absl::StatusCode::kUnknown, 3},
                                    {absl::StatusCode::kUnavailable, 1},
                                    {absl::StatusCode::kUnauthenticated, 1}}));
  EXPECT_TRUE(Summarize({}).calls_per_status.empty());
}

}  // namespace
}  // namespace saludo::client
