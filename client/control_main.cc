// Sets, clears or shows the faults of one Saludo server started with
// --control. The target is the server's control address, which it prints at
// start ("(control 127.0.0.1:PORT)"): a loopback-only listener apart from
// the service's port, so never reachable through nginx.
//
//   control --target=127.0.0.1:40123 --hang=41s
//   control --target=127.0.0.1:40123 --delay=200ms --error_rate=0.1
//           --error_code=14
//   control --target=127.0.0.1:40123 --clock_offset=5s
//   control --target=127.0.0.1:40123 --clear
//   control --target=127.0.0.1:40123            (shows what is set)
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/faults_words.h"
#include "proto/control.pb.h"
#include "runtime/live/cli.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/sync.h"
#include "runtime/typed_rpc.h"
#include "services/control_service.h"

ABSL_FLAG(std::string, target, "127.0.0.1:3001", "host:port of the server");
ABSL_FLAG(absl::Duration, hang, absl::ZeroDuration(),
          "hold every call until this long from now");
ABSL_FLAG(absl::Duration, delay, absl::ZeroDuration(), "delay every reply");
ABSL_FLAG(double, error_rate, 0, "fraction of calls to fail (0..1)");
ABSL_FLAG(int, error_code, 14, "gRPC status code of injected errors");
ABSL_FLAG(std::string, error_message, "", "message of injected errors");
ABSL_FLAG(absl::Duration, clock_offset, absl::InfiniteDuration(),
          "set the server's wall-clock offset");
ABSL_FLAG(bool, clear, false, "clear every fault");

namespace {

constexpr char kUsage[] =
    "Fault injection on a Saludo server started with --control.\n"
    "usage: control --target=CONTROL_ADDRESS [--hang=41s] [--delay=D] "
    "[--error_rate=R --error_code=C] [--clock_offset=D] [--clear]";

bool AnyFaultFlag() {
  return absl::GetFlag(FLAGS_hang) != absl::ZeroDuration() ||
         absl::GetFlag(FLAGS_delay) != absl::ZeroDuration() ||
         absl::GetFlag(FLAGS_error_rate) != 0 ||
         absl::GetFlag(FLAGS_clock_offset) != absl::InfiniteDuration();
}

}  // namespace

int main(int argc, char** argv) {
  saludo::runtime::live::ParseFlagsOrExit(argc, argv, kUsage);
  if (absl::GetFlag(FLAGS_clear) && AnyFaultFlag()) {
    saludo::runtime::live::UsageError("--clear takes no fault flags");
  }
  using namespace saludo;
  runtime::live::GrpcChannel channel(absl::GetFlag(FLAGS_target));
  runtime::CallOptions options;
  options.timeout = absl::Seconds(5);
  saludo::runtime::Notification done;
  absl::Status status;
  control::FaultsReport report;
  auto on_done = [&](absl::Status s, control::FaultsReport r) {
    status = std::move(s);
    report = std::move(r);
    done.Notify();
  };
  if (absl::GetFlag(FLAGS_clear)) {
    runtime::CallUnary<control::FaultsReport>(
        channel, services::kClearFaultsMethod, control::Empty(), options,
        on_done);
  } else if (AnyFaultFlag()) {
    control::SetFaultsRequest request;
    control::Faults* f = request.mutable_faults();
    f->set_hang_nanos(absl::ToInt64Nanoseconds(absl::GetFlag(FLAGS_hang)));
    f->set_reply_delay_nanos(
        absl::ToInt64Nanoseconds(absl::GetFlag(FLAGS_delay)));
    f->set_error_rate(absl::GetFlag(FLAGS_error_rate));
    f->set_error_code(absl::GetFlag(FLAGS_error_code));
    f->set_error_message(absl::GetFlag(FLAGS_error_message));
    if (absl::GetFlag(FLAGS_clock_offset) != absl::InfiniteDuration()) {
      f->set_clock_offset_nanos(
          absl::ToInt64Nanoseconds(absl::GetFlag(FLAGS_clock_offset)));
    }
    runtime::CallUnary<control::FaultsReport>(
        channel, services::kSetFaultsMethod, request, options, on_done);
  } else {
    runtime::CallUnary<control::FaultsReport>(
        channel, services::kGetFaultsMethod, control::Empty(), options,
        on_done);
  }
  done.WaitForNotification();
  if (!status.ok()) {
    std::fprintf(stderr, "control: %s: %s\n",
                 absl::GetFlag(FLAGS_target).c_str(),
                 status.ToString().c_str());
    return 1;
  }
  std::printf("%s", client::DescribeFaultsReport(report).c_str());
  return 0;
}
