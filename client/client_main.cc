// The Saludo client: calls /Saludo/saludar through nginx (or a server), prints
// each reply (or a summary for larger bursts), per-server and per-status
// counts and latency percentiles. Exits 1 if any call failed.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/load_client.h"
#include "client/summary.h"
#include "runtime/live/cli.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/live/system_clock.h"

ABSL_FLAG(std::string, target, "127.0.0.1:3005",
          "host:port of nginx (or of one server)");
ABSL_FLAG(std::string, nombre, "Nombre de testeo", "the name to greet");
ABSL_FLAG(int64_t, requests, 1, "number of calls");
ABSL_FLAG(int, concurrency, 1, "calls in flight at once");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(5), "deadline of each call");
ABSL_FLAG(int, print_each_up_to, 10,
          "print every reply when --requests is at most this");

namespace {

constexpr char kUsage[] =
    "Saludo client.\n"
    "usage: client [--target=host:port] [--nombre=S] [--requests=N] "
    "[--concurrency=C] [--deadline=5s]";

}  // namespace

int main(int argc, char** argv) {
  using namespace saludo;
  runtime::live::ParseFlagsOrExit(argc, argv, kUsage);
  using runtime::live::UsageError;
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

  runtime::live::SystemClock clock;
  runtime::live::GrpcChannel channel(target);
  client::LoadClient load(&clock, &channel, options);
  absl::Notification finished;
  std::vector<client::CallRecord> records;
  load.Start([&](std::vector<client::CallRecord> all) {
    records = std::move(all);
    finished.Notify();
  });
  finished.WaitForNotification();

  if (options.requests <= absl::GetFlag(FLAGS_print_each_up_to)) {
    for (const client::CallRecord& r : records) {
      std::printf("%s\n", client::FormatCall(r).c_str());
    }
  }
  const client::LoadSummary summary = client::Summarize(records);
  std::printf("%s", client::FormatSummary(summary).c_str());
  return summary.failed == 0 ? 0 : 1;
}
