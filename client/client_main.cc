// The Saludo client: calls /Saludo/saludar through nginx (or a server), prints
// each reply (or a summary for larger bursts), per-server and per-status
// counts and latency percentiles. Exits 1 if any call failed.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/berkeley.h"
#include "client/clock_sync.h"
#include "client/load_client.h"
#include "client/summary.h"
#include "runtime/live/cli.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"
#include "runtime/sync.h"

ABSL_FLAG(std::string, target, "127.0.0.1:3005",
          "host:port of nginx (or of one server)");
ABSL_FLAG(std::string, nombre, "Nombre de testeo", "the name to greet");
ABSL_FLAG(int64_t, requests, 1, "number of calls");
ABSL_FLAG(int, concurrency, 1, "calls in flight at once");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(5), "deadline of each call");
ABSL_FLAG(std::string, format, "text",
          "the summary as text, or json (one object: counts, per server, per "
          "status, latency percentiles; no per-call lines)");
ABSL_FLAG(int, print_each_up_to, 10,
          "print every reply when --requests is at most this");
ABSL_FLAG(std::string, sync, "",
          "clock sync mode: comma-separated servers (host:port) to estimate "
          "the clock offset of, instead of calling saludar; with --berkeley, "
          "their control addresses (the servers print them at start)");
ABSL_FLAG(int, sync_samples, 8, "clock sync: samples per server");
ABSL_FLAG(bool, berkeley, false,
          "with --sync: also correct the servers' clocks (Berkeley round, "
          "through their control service)");
ABSL_FLAG(bool, allow_step, false, "with --berkeley: step instead of slewing");

namespace {

constexpr char kUsage[] =
    "Saludo client.\n"
    "usage: client [--target=host:port] [--nombre=S] [--requests=N] "
    "[--concurrency=C] [--deadline=5s] [--format=text|json]\n"
    "       client --sync=host:port,host:port [--sync_samples=8] "
    "[--berkeley [--allow_step]]";

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%+.3fms", absl::ToDoubleMilliseconds(d));
}

// Estimates each server's offset (and with --berkeley corrects them).
int Sync(const std::vector<std::string>& targets) {
  using namespace saludo;
  runtime::live::SystemClock clock;
  runtime::live::TimerThread timers(&clock);
  std::vector<std::unique_ptr<runtime::live::GrpcChannel>> channels;
  std::vector<runtime::Channel*> raw;
  for (const std::string& t : targets) {
    channels.push_back(std::make_unique<runtime::live::GrpcChannel>(t));
    raw.push_back(channels.back().get());
  }
  int failures = 0;
  std::printf("%-22s %-9s %12s %12s %12s\n", "server", "method", "offset",
              "error<=", "delay");
  for (size_t i = 0; i < targets.size(); ++i) {
    client::ClockSampler sampler(&clock, raw[i], &timers);
    saludo::runtime::Notification done;
    absl::StatusOr<std::vector<client::ClockSample>> samples;
    sampler.Sample(absl::GetFlag(FLAGS_sync_samples), absl::Milliseconds(10),
                   absl::Seconds(2), [&](auto s) {
                     samples = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    if (!samples.ok()) {
      std::printf("%-22s error: %s\n", targets[i].c_str(),
                  samples.status().ToString().c_str());
      ++failures;
      continue;
    }
    for (auto [name, method] :
         {std::pair{"cristian", client::SyncMethod::kCristian},
          std::pair{"ntp", client::SyncMethod::kNtp}}) {
      client::OffsetEstimate e = client::MinimumDelayEstimate(*samples, method);
      std::printf("%-22s %-9s %12s %12s %12s\n", targets[i].c_str(), name,
                  Ms(e.offset).c_str(), Ms(e.error_bound).c_str(),
                  Ms(e.delay).c_str());
    }
  }
  if (absl::GetFlag(FLAGS_berkeley) && failures == 0) {
    client::BerkeleyOptions options;
    options.allow_step = absl::GetFlag(FLAGS_allow_step);
    client::BerkeleyCoordinator berkeley(&clock, &timers, raw, options);
    saludo::runtime::Notification done;
    absl::StatusOr<client::BerkeleyRound> round;
    berkeley.RunRound([&](auto r) {
      round = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    if (!round.ok()) {
      std::printf("berkeley: %s\n", round.status().ToString().c_str());
      return 1;
    }
    std::printf("berkeley: average %s (this client's own share, not applied)\n",
                Ms(round->average).c_str());
    for (size_t i = 0; i < targets.size(); ++i) {
      std::printf("  %-22s correction %s%s (%s)\n", targets[i].c_str(),
                  Ms(round->corrections[i]).c_str(),
                  round->outlier[i] ? " [outlier]" : "",
                  options.allow_step ? "stepped" : "slewing");
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace saludo;
  runtime::live::ParseFlagsOrExit(argc, argv, kUsage);
  using runtime::live::UsageError;
  if (!absl::GetFlag(FLAGS_sync).empty()) {
    std::vector<std::string> targets =
        absl::StrSplit(absl::GetFlag(FLAGS_sync), ',', absl::SkipEmpty());
    if (absl::GetFlag(FLAGS_sync_samples) < 1)
      UsageError("--sync_samples must be >= 1");
    return Sync(targets);
  }
  if (absl::GetFlag(FLAGS_berkeley)) UsageError("--berkeley needs --sync");
  client::LoadOptions options;
  options.nombre = absl::GetFlag(FLAGS_nombre);
  options.requests = absl::GetFlag(FLAGS_requests);
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.deadline = absl::GetFlag(FLAGS_deadline);
  if (absl::Status s = client::ValidateLoadOptions(options); !s.ok()) {
    UsageError(std::string(s.message()));
  }
  const std::string target = absl::GetFlag(FLAGS_target);
  if (target.find(':') == std::string::npos) {
    UsageError("--target must be host:port, got '" + target + "'");
  }
  const bool json = absl::GetFlag(FLAGS_format) == "json";
  if (!json && absl::GetFlag(FLAGS_format) != "text") {
    UsageError("--format must be text or json, got '" +
               absl::GetFlag(FLAGS_format) + "'");
  }

  runtime::live::SystemClock clock;
  runtime::live::GrpcChannel channel(target);
  client::LoadClient load(&clock, &channel, options);
  saludo::runtime::Notification finished;
  std::vector<client::CallRecord> records;
  load.Start([&](std::vector<client::CallRecord> all) {
    records = std::move(all);
    finished.Notify();
  });
  finished.WaitForNotification();

  if (!json && options.requests <= absl::GetFlag(FLAGS_print_each_up_to)) {
    for (const client::CallRecord& r : records) {
      std::printf("%s\n", client::FormatCall(r).c_str());
    }
  }
  const client::LoadSummary summary = client::Summarize(records);
  std::printf("%s", json ? client::SummaryToJson(summary).c_str()
                         : client::FormatSummary(summary).c_str());
  return summary.failed == 0 ? 0 : 1;
}
