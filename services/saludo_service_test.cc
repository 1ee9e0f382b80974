#include "services/saludo_service.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/control.pb.h"
#include "proto/service.pb.h"
#include "runtime/testing/fakes.h"
#include "services/clock_discipline.h"
#include "services/control_service.h"

namespace saludo::services {
namespace {

using runtime::testing::DirectRegistry;
using runtime::testing::ManualClock;

struct Result {
  bool done = false;
  absl::Status status;
  saludoRes reply;
};

class SaludoServiceTest : public ::testing::Test {
 protected:
  SaludoServiceTest()
      : faults_(&clock_, /*seed=*/1),
        service_(2, &clock_, &clock_, &faults_,
                 [this](const std::string& line) { log_.push_back(line); },
                 [this] { ++crashes_; }),
        control_(2, &faults_) {
    service_.RegisterWith(registry_);
    control_.RegisterWith(registry_);
  }

  // Calls saludar; the result fills in when the service answers.
  Result* Saludar(const std::string& nombre) {
    saludoReq request;
    request.set_nombre(nombre);
    results_.push_back(std::make_unique<Result>());
    Result* r = results_.back().get();
    registry_.Call(kSaludarMethod, request.SerializeAsString(),
                   [r](absl::Status status, std::string bytes) {
                     r->done = true;
                     r->status = status;
                     if (status.ok()) {
                       EXPECT_TRUE(r->reply.ParseFromString(bytes));
                     }
                   });
    return r;
  }

  absl::Status SetFaults(const control::Faults& faults,
                         const std::string& peer = "ipv4:127.0.0.1:1",
                         bool loopback = true) {
    control::SetFaultsRequest request;
    *request.mutable_faults() = faults;
    absl::Status result;
    registry_.Call(
        kSetFaultsMethod, request.SerializeAsString(),
        [&](absl::Status s, std::string) { result = s; }, peer, loopback);
    return result;
  }

  ManualClock clock_;
  FaultState faults_;
  SaludoService service_;
  ControlService control_;
  DirectRegistry registry_;
  std::vector<std::string> log_;
  int crashes_ = 0;
  std::vector<std::unique_ptr<Result>> results_;
};

TEST_F(SaludoServiceTest, RepliesWithSeedTextIdAndTimestamp) {
  clock_.Advance(absl::Seconds(3));
  Result* r = Saludar("Nombre de testeo");
  ASSERT_TRUE(r->done);
  ASSERT_TRUE(r->status.ok()) << r->status;
  EXPECT_EQ(r->reply.mensaje(),
            "Hola, Nombre de testeo, te saluda el servidor 2");
  EXPECT_EQ(r->reply.server_id(), 2);
  EXPECT_EQ(r->reply.server_time_unix_nanos(),
            absl::ToUnixNanos(absl::FromUnixSeconds(1700000003)));
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("-> OK"), std::string::npos) << log_[0];
}

// Replies are built in a reused message: nothing of one reply is left in
// the next (a shorter name, then an injected error, then a success).
TEST_F(SaludoServiceTest, EachReplyIsItsOwnAfterTheOneBefore) {
  Result* longer = Saludar(std::string(200, 'n'));
  Result* shorter = Saludar("ab");
  ASSERT_TRUE(longer->status.ok() && shorter->status.ok());
  EXPECT_EQ(longer->reply.mensaje(), Greeting(std::string(200, 'n'), 2));
  EXPECT_EQ(shorter->reply.mensaje(), "Hola, ab, te saluda el servidor 2");
  control::Faults fail;
  fail.set_error_rate(1.0);
  fail.set_error_code(static_cast<int>(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(SetFaults(fail).ok());
  Result* failed = Saludar("c");
  EXPECT_FALSE(failed->status.ok());
  EXPECT_EQ(failed->reply.mensaje(), "");
  EXPECT_EQ(failed->reply.server_id(), 0);
  faults_.Clear();
  EXPECT_EQ(Saludar("d")->reply.mensaje(), "Hola, d, te saluda el servidor 2");
  std::string out = "a longer string than the greeting it is about to hold";
  WriteGreeting("e", 3, &out);
  EXPECT_EQ(out, "Hola, e, te saluda el servidor 3");
}

// The greeting is the seed's text, byte for byte, for any name and id.
TEST(GreetingTest, IsTheSeedsTextForAnyNameAndId) {
  EXPECT_EQ(Greeting("", 1), "Hola, , te saluda el servidor 1");
  EXPECT_EQ(Greeting(std::string("a\0b", 3), 2147483647),
            std::string("Hola, a\0b, te saluda el servidor 2147483647", 43));
  const std::string long_name(5000, 'x');
  EXPECT_EQ(Greeting(long_name, 10),
            "Hola, " + long_name + ", te saluda el servidor 10");
}

TEST_F(SaludoServiceTest, TimestampIncludesClockOffset) {
  clock_.SetWallOffset(absl::Seconds(5));
  Result* r = Saludar("x");
  EXPECT_EQ(r->reply.server_time_unix_nanos(),
            absl::ToUnixNanos(absl::FromUnixSeconds(1700000005)));
}

TEST_F(SaludoServiceTest, NombreAtLimitIsAcceptedAboveIsInvalidArgument) {
  Result* ok = Saludar(std::string(kMaxNombreBytes, 'a'));
  EXPECT_TRUE(ok->status.ok());
  Result* big = Saludar(std::string(kMaxNombreBytes + 1, 'a'));
  ASSERT_TRUE(big->done);
  EXPECT_EQ(big->status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(big->status.message(), "nombre is 1025 bytes; the limit is 1024");
}

TEST_F(SaludoServiceTest, InvalidUtf8IsInvalidArgument) {
  // Field 1 (nombre), length 2, bytes that are not UTF-8.
  std::string bytes = "\x0a\x02\xff\xfe";
  Result r;
  registry_.Call(kSaludarMethod, bytes, [&](absl::Status s, std::string) {
    r.done = true;
    r.status = s;
  });
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SaludoServiceTest, HangHoldsCallsUntilItEnds) {
  control::Faults f;
  f.set_hang_nanos(absl::ToInt64Nanoseconds(absl::Seconds(41)));
  ASSERT_TRUE(SetFaults(f).ok());
  clock_.Advance(absl::Seconds(1));
  Result* r = Saludar("x");
  clock_.Advance(absl::Seconds(39));
  EXPECT_FALSE(r->done);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(r->done);
  EXPECT_TRUE(r->status.ok());
  // The held call's line names its caller and how long it was held.
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("peer=ipv4:127.0.0.1:40000 nombre=\"x\" -> OK "
                             "after 40s"),
            std::string::npos)
      << log_.back();
  // After the hang, calls are answered at once again.
  EXPECT_TRUE(Saludar("y")->done);
}

// Without a log a held call keeps no peer, and is answered all the same.
TEST(SaludoServiceWithoutLogTest, AnswersAHeldCall) {
  ManualClock clock;
  FaultState faults(&clock, /*seed=*/1);
  SaludoService service(3, &clock, &clock, &faults, nullptr);
  DirectRegistry registry;
  service.RegisterWith(registry);
  control::Faults f;
  f.set_hang_nanos(absl::ToInt64Nanoseconds(absl::Seconds(2)));
  faults.Set(f);
  saludoReq request;
  request.set_nombre("z");
  absl::Status status = absl::UnknownError("not answered");
  saludoRes reply;
  registry.Call(kSaludarMethod, request.SerializeAsString(),
                [&](absl::Status s, std::string bytes) {
                  status = s;
                  EXPECT_TRUE(reply.ParseFromString(bytes));
                });
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnknown);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(reply.mensaje(), "Hola, z, te saluda el servidor 3");
}

TEST_F(SaludoServiceTest, DelayAppliesToEveryCall) {
  control::Faults f;
  f.set_reply_delay_nanos(absl::ToInt64Nanoseconds(absl::Milliseconds(250)));
  ASSERT_TRUE(SetFaults(f).ok());
  Result* a = Saludar("a");
  clock_.Advance(absl::Milliseconds(249));
  EXPECT_FALSE(a->done);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(a->done);
}

TEST_F(SaludoServiceTest, ErrorInjectionAtRate) {
  control::Faults f;
  f.set_error_rate(0.5);
  f.set_error_code(static_cast<int>(absl::StatusCode::kUnavailable));
  f.set_error_message("chaos");
  ASSERT_TRUE(SetFaults(f).ok());
  int failed = 0;
  for (int i = 0; i < 1000; ++i) {
    Result* r = Saludar("x");
    ASSERT_TRUE(r->done);
    if (!r->status.ok()) {
      ++failed;
      EXPECT_EQ(r->status.code(), absl::StatusCode::kUnavailable);
      EXPECT_EQ(r->status.message(), "chaos");
    }
  }
  EXPECT_NEAR(failed, 500, 60);
  EXPECT_EQ(faults_.Report().calls_failed_injected(), failed);
}

TEST_F(SaludoServiceTest, ClearingAHangAnswersTheHeldCallsAtOnce) {
  control::Faults hang;
  hang.set_hang_nanos(absl::ToInt64Nanoseconds(absl::Hours(24)));
  ASSERT_TRUE(SetFaults(hang).ok());
  Result* a = Saludar("a");
  Result* b = Saludar("b");
  EXPECT_FALSE(a->done || b->done);
  EXPECT_EQ(faults_.Report().calls_held(), 2);
  faults_.Clear();
  EXPECT_TRUE(a->done && b->done);
  EXPECT_TRUE(a->status.ok()) << a->status;
  EXPECT_EQ(faults_.Report().calls_held(), 0);
  // Answered in arrival order, each line with its own caller and name.
  ASSERT_GE(log_.size(), 2u);
  EXPECT_NE(log_[log_.size() - 2].find(
                "peer=ipv4:127.0.0.1:40000 nombre=\"a\" -> OK after 0"),
            std::string::npos)
      << log_[log_.size() - 2];
  EXPECT_NE(log_.back().find("nombre=\"b\" -> OK"), std::string::npos)
      << log_.back();
  clock_.Advance(absl::Hours(25));  // the cancelled timers never fire
  EXPECT_EQ(faults_.Report().calls_held(), 0);
}

TEST_F(SaludoServiceTest, CrashOnCallCrashesTheProcessAndAnswersNothing) {
  control::Faults f;
  f.set_crash_on_call(true);
  ASSERT_TRUE(SetFaults(f).ok());
  Result* r = Saludar("x");
  EXPECT_FALSE(r->done);
  EXPECT_EQ(crashes_, 1);
}

TEST(SaludoServiceNoCrashTest, CrashOnCallWithoutAProcessToEndIsAborted) {
  ManualClock clock;
  FaultState faults(&clock, 1);
  SaludoService service(1, &clock, &clock, &faults, nullptr);
  DirectRegistry registry;
  service.RegisterWith(registry);
  control::Faults f;
  f.set_crash_on_call(true);
  faults.Set(f);
  absl::Status status;
  registry.Call(kSaludarMethod, saludoReq().SerializeAsString(),
                [&](absl::Status s, std::string) { status = s; });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
}

TEST_F(SaludoServiceTest, ControlRejectsBadFaultsAndRemotePeers) {
  control::Faults bad_rate;
  bad_rate.set_error_rate(1.5);
  EXPECT_EQ(SetFaults(bad_rate).code(), absl::StatusCode::kInvalidArgument);
  control::Faults no_code;
  no_code.set_error_rate(0.1);
  EXPECT_EQ(SetFaults(no_code).code(), absl::StatusCode::kInvalidArgument);
  control::Faults ok;
  EXPECT_EQ(SetFaults(ok, "ipv4:10.1.2.3:5000", /*loopback=*/false).code(),
            absl::StatusCode::kPermissionDenied);
  control::Faults forever;
  forever.set_hang_nanos(absl::ToInt64Nanoseconds(absl::Hours(25)));
  EXPECT_EQ(SetFaults(forever).code(), absl::StatusCode::kInvalidArgument);
  control::Faults negative;
  negative.set_reply_delay_nanos(-1);
  EXPECT_EQ(SetFaults(negative).code(), absl::StatusCode::kInvalidArgument);
  control::Faults stopped_clock;
  stopped_clock.set_clock_drift_ppb(-1000000000);
  EXPECT_EQ(SetFaults(stopped_clock).code(),
            absl::StatusCode::kInvalidArgument);
}

// A drift set through control runs the server's clock fast (its timers by
// it too) until cleared; a SetFaults without one leaves it alone.
TEST_F(SaludoServiceTest, ClockDriftSetAndClearedThroughControl) {
  control::Faults f;
  f.set_clock_drift_ppb(50000000);  // 5 %
  ASSERT_TRUE(SetFaults(f).ok());
  const absl::Time before = clock_.Now();
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(clock_.Now() - before, absl::Milliseconds(2100));
  control::Faults hang;
  hang.set_hang_nanos(1);
  ASSERT_TRUE(SetFaults(hang).ok());
  EXPECT_EQ(faults_.Report().faults().clock_drift_ppb(), 50000000);
  faults_.Clear();
  const absl::Time cleared = clock_.Now();
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(clock_.Now() - cleared, absl::Seconds(2));
  EXPECT_FALSE(faults_.Report().faults().has_clock_drift_ppb());
}

// AdjustClock is bounded like SetFaults, and ClearFaults undoes corrections.
TEST(ControlAdjustClockTest, OutOfRangeIsRefusedAndClearFaultsResets) {
  ManualClock clock;
  FaultState faults(&clock, 1);
  ClockDiscipline discipline(&clock);
  ControlService control(1, &faults, &discipline);
  DirectRegistry registry;
  control.RegisterWith(registry);
  auto adjust = [&](int64_t nanos) {
    control::AdjustClockRequest request;
    request.set_correction_nanos(nanos);
    request.set_allow_step(true);
    absl::Status status;
    registry.Call(kAdjustClockMethod, request.SerializeAsString(),
                  [&](absl::Status s, std::string) { status = s; });
    return status;
  };
  const absl::Time before = discipline.Now();
  EXPECT_EQ(adjust(INT64_MAX).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(adjust(INT64_MIN).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(discipline.Now(), before);
  ASSERT_TRUE(adjust(absl::ToInt64Nanoseconds(absl::Hours(1))).ok());
  EXPECT_EQ(discipline.Now(), before + absl::Hours(1));
  absl::Status cleared;
  registry.Call(kClearFaultsMethod, control::Empty().SerializeAsString(),
                [&](absl::Status s, std::string) { cleared = s; });
  ASSERT_TRUE(cleared.ok()) << cleared;
  EXPECT_EQ(discipline.Now(), before);
}

TEST_F(SaludoServiceTest, ClockOffsetSetAndClearedThroughControl) {
  control::Faults f;
  f.set_clock_offset_nanos(absl::ToInt64Nanoseconds(absl::Seconds(-7)));
  ASSERT_TRUE(SetFaults(f).ok());
  EXPECT_EQ(clock_.WallOffset(), absl::Seconds(-7));
  // A later SetFaults without an offset leaves it alone.
  control::Faults hang;
  hang.set_hang_nanos(1);
  ASSERT_TRUE(SetFaults(hang).ok());
  EXPECT_EQ(clock_.WallOffset(), absl::Seconds(-7));
  faults_.Clear();
  EXPECT_EQ(clock_.WallOffset(), absl::ZeroDuration());
  EXPECT_EQ(faults_.Report().faults().hang_nanos(), 0);
}

}  // namespace
}  // namespace saludo::services
