// Clock synchronisation against the real services: servers started with
// --clock_offset; the estimates recover the offsets within their bounds, and
// a Berkeley round (stepping) brings the servers together.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/berkeley.h"
#include "client/clock_sync.h"
#include "gtest/gtest.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/live/subprocess.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"
#include "runtime/sync.h"
#include "stack/live_stack.h"

namespace saludo {
namespace {

class ClockSyncLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto files = stack::FindStackFiles("");
    ASSERT_TRUE(files.ok()) << files.status();
    const std::vector<std::string> offsets = {"300ms", "-150ms"};
    for (size_t i = 0; i < offsets.size(); ++i) {
      // Port 0: the server takes a free port and reports it. Each test
      // writes its own file, and an old one is removed first, so a ready
      // line is never an earlier server's.
      runtime::live::SpawnOptions spawn;
      spawn.argv = {files->server_binary, absl::StrCat("--id=", i + 1),
                    "--port=0",           "--control",
                    "--log_calls=false",  "--clock_offset=" + offsets[i]};
      spawn.stdout_path = absl::StrCat(
          ::testing::TempDir(), "/",
          ::testing::UnitTest::GetInstance()->current_test_info()->name(), i,
          ".out");
      std::remove(spawn.stdout_path.c_str());
      auto child = runtime::live::Subprocess::Spawn(spawn);
      ASSERT_TRUE(child.ok());
      servers_.push_back(std::move(*child));
      auto line = runtime::live::WaitForLine(
          spawn.stdout_path, absl::StrCat("servidor ", i + 1, " listening on "),
          absl::Seconds(10));
      ASSERT_TRUE(line.ok()) << line.status();
      // "servidor N listening on 127.0.0.1:PORT (control 127.0.0.1:PORT)":
      // the control listener serves the clock too, so a Berkeley round
      // reads and corrects through it.
      const size_t control = line->find("(control ");
      ASSERT_NE(control, std::string::npos) << *line;
      const std::string address = line->substr(control + 9);
      channels_.push_back(std::make_unique<runtime::live::GrpcChannel>(
          address.substr(0, address.find(')'))));
    }
  }

  client::OffsetEstimate Measure(size_t i) {
    client::ClockSampler sampler(&clock_, channels_[i].get(), &timers_);
    runtime::Notification done;
    absl::StatusOr<std::vector<client::ClockSample>> samples;
    sampler.Sample(8, absl::Milliseconds(5), absl::Seconds(2), [&](auto s) {
      samples = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_TRUE(samples.ok()) << samples.status();
    return client::MinimumDelayEstimate(*samples, client::SyncMethod::kNtp);
  }

  runtime::live::SystemClock clock_;
  runtime::live::TimerThread timers_{&clock_};
  std::vector<std::unique_ptr<runtime::live::Subprocess>> servers_;
  std::vector<std::unique_ptr<runtime::live::GrpcChannel>> channels_;
};

TEST_F(ClockSyncLiveTest, OffsetsRecoveredWithinTheirBounds) {
  const absl::Duration configured[] = {absl::Milliseconds(300),
                                       -absl::Milliseconds(150)};
  for (size_t i = 0; i < 2; ++i) {
    client::OffsetEstimate e = Measure(i);
    // Same machine, same system clock: the true offset is the configured one.
    EXPECT_LE(absl::AbsDuration(e.offset - configured[i]),
              e.error_bound + absl::Microseconds(1))
        << "server " << i + 1 << ": estimate " << e.offset << " bound "
        << e.error_bound;
    EXPECT_LT(e.error_bound, absl::Milliseconds(50));
  }
}

TEST_F(ClockSyncLiveTest, BerkeleyStepBringsServersTogether) {
  std::vector<runtime::Channel*> raw = {channels_[0].get(), channels_[1].get()};
  client::BerkeleyOptions options;
  options.allow_step = true;
  client::BerkeleyCoordinator berkeley(&clock_, &timers_, raw, options);
  runtime::Notification done;
  absl::StatusOr<client::BerkeleyRound> round;
  berkeley.RunRound([&](auto r) {
    round = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_NEAR(absl::ToDoubleMilliseconds(round->average), 50,
              5);  // (0+300-150)/3
  client::OffsetEstimate a = Measure(0), b = Measure(1);
  // Both now sit at the average, within the two estimates' bounds (twice:
  // the round's and this check's).
  EXPECT_LE(absl::AbsDuration(a.offset - b.offset),
            2 * (a.error_bound + b.error_bound) + absl::Microseconds(10))
      << a.offset << " vs " << b.offset;
}

}  // namespace
}  // namespace saludo
