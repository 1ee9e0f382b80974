// A bounded live soak: 30,000 calls at concurrency 32 through real nginx while
// server 1 is killed and restarted and server 2 is hung and un-hung on a
// seeded schedule. Every call must end (OK or an explicit status) within its
// deadline, no process may crash, and server 2's open file descriptors and
// memory must not grow beyond a stated bound. Prints the counts.
#include <dirent.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/load_client.h"
#include "client/summary.h"
#include "gtest/gtest.h"
#include "runtime/live/sanitizers.h"
#include "runtime/random.h"
#include "stack/live_calls.h"
#include "stack/live_stack.h"

namespace saludo {
namespace {

constexpr int64_t kCalls = 30000;
constexpr int kConcurrency = 32;
const absl::Duration kDeadline = absl::Seconds(2);
constexpr int kMaxFdGrowth = 32;  // descriptors
#ifndef SALUDO_ASAN
constexpr int64_t kMaxRssGrowthKb = 64 * 1024;  // 64 MiB
#else
// Under ASan (CI's second pass) freed memory is held in ASan's quarantine (256
// MiB by default) to catch use after free, so RSS grows by design (74 MiB in
// one run). The 64 MiB bound is checked in the uninstrumented first pass.
constexpr int64_t kMaxRssGrowthKb = (64 + 256) * 1024;
#endif

int OpenFds(pid_t pid) {
  int n = 0;
  if (DIR* d = opendir(absl::StrCat("/proc/", pid, "/fd").c_str())) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n - 2;
}

int64_t RssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kb = 0;
      (void)absl::SimpleAtoi(line.substr(6, line.size() - 9), &kb);
      return kb;
    }
  }
  return -1;
}

TEST(LiveSoakTest, ChaosThroughNginxEndsEveryCallInTime) {
  auto files = stack::FindStackFiles("");
  ASSERT_TRUE(files.ok()) << files.status();
  auto live = stack::LiveStack::Start(stack::FreePortOptions(*files));
  ASSERT_TRUE(live.ok()) << live.status();
  stack::LiveStack& s = **live;

  // Warm up, then take server 2's baseline.
  client::LoadOptions warm;
  warm.requests = 2000;
  warm.concurrency = kConcurrency;
  stack::RunLiveBurst(s.nginx_target(), warm);
  const pid_t pid2 = s.ServerPid(2);
  const int fds_before = OpenFds(pid2);
  const int64_t rss_before = RssKb(pid2);

  // The load runs on its own thread; the chaos schedule runs here, on the
  // main thread, because a child process gets SIGTERM when the thread that
  // spawned it ends (Subprocess uses PR_SET_PDEATHSIG).
  std::atomic<bool> stop{false};
  int kills = 0, restarts = 0, hangs = 0, unhangs = 0;
  std::vector<client::CallRecord> records;
  absl::Duration took;
  std::thread load_thread([&] {
    client::LoadOptions load;
    load.requests = kCalls;
    load.concurrency = kConcurrency;
    load.deadline = kDeadline;
    const absl::Time start = absl::Now();
    records = stack::RunLiveBurst(s.nginx_target(), load);
    took = absl::Now() - start;
    stop = true;
  });
  runtime::Random random(20261127);
  bool down = false, hung = false;
  while (!stop) {
    const absl::Time wake =
        absl::Now() + absl::Milliseconds(300 + random.NextBelow(600));
    while (!stop && absl::Now() < wake) absl::SleepFor(absl::Milliseconds(10));
    if (stop) break;
    if (random.Bernoulli(0.5)) {
      if (down) {
        absl::Status restarted = s.RestartServer(1);
        EXPECT_TRUE(restarted.ok()) << restarted;
        ++restarts;
      } else {
        s.KillServer(1);
        ++kills;
      }
      down = !down;
    } else {
      control::Faults f;
      if (!hung) f.set_hang_nanos(absl::ToInt64Nanoseconds(absl::Seconds(30)));
      (void)stack::SetServerFaults(s.control_target(2), f);
      hung ? ++unhangs : ++hangs;
      hung = !hung;
    }
  }
  load_thread.join();
  (void)stack::ClearServerFaults(s.control_target(2));
  if (down) {
    absl::Status restarted = s.RestartServer(1);
    EXPECT_TRUE(restarted.ok()) << restarted;
  }

  ASSERT_EQ(static_cast<int64_t>(records.size()), kCalls);
  int late = 0;
  for (const client::CallRecord& r : records) {
    late += r.latency > kDeadline + absl::Milliseconds(250);
  }
  const client::LoadSummary summary = client::Summarize(records);
  std::printf(
      "soak: %lld calls in %s; kills %d restarts %d hangs %d unhangs %d\n%s",
      static_cast<long long>(kCalls), absl::FormatDuration(took).c_str(), kills,
      restarts, hangs, unhangs, client::FormatSummary(summary).c_str());
  EXPECT_EQ(late, 0) << "calls that outlived their deadline";
  // Explicit statuses only: OK, nginx's UNAVAILABLE (mapped 502/504), or
  // the client's own deadline.
  for (const auto& [code, n] : summary.calls_per_status) {
    EXPECT_TRUE(code == absl::StatusCode::kOk ||
                code == absl::StatusCode::kUnavailable ||
                code == absl::StatusCode::kDeadlineExceeded)
        << absl::StatusCodeToString(code) << " x" << n;
  }
  EXPECT_GT(summary.calls_per_status.count(absl::StatusCode::kOk), 0u);
  EXPECT_GE(kills + hangs, 2) << "the schedule applied no chaos";
  EXPECT_LT(took, absl::Seconds(60));

  // No crash: server 2 (never killed) and nginx still run; server 1 runs
  // after its final restart.
  EXPECT_TRUE(s.ServerRunning(2));
  EXPECT_TRUE(s.ServerRunning(1));
  EXPECT_TRUE(s.nginx().Running());
  // Resources of server 2: after the load, with its hangs released.
  absl::SleepFor(absl::Milliseconds(500));
  const int fds_after = OpenFds(pid2);
  const int64_t rss_after = RssKb(pid2);
  std::printf("server 2: fds %d -> %d, rss %lld kB -> %lld kB\n", fds_before,
              fds_after, static_cast<long long>(rss_before),
              static_cast<long long>(rss_after));
  EXPECT_LE(fds_after - fds_before, kMaxFdGrowth);
  EXPECT_LE(rss_after - rss_before, kMaxRssGrowthKb);
}

}  // namespace
}  // namespace saludo
