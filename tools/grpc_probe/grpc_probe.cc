// A small gRPC client for the standard health and reflection services, so a
// user (and the tests) can check any gRPC server, ours or not, with nothing
// but this binary: no proto files, no grpcurl.
//
//   grpc_probe health ADDRESS [--service=NAME] [--watch=N]
//   grpc_probe list ADDRESS
//   grpc_probe call ADDRESS SERVICE/METHOD JSON
//
// health: Check (prints SERVING, NOT_SERVING...; exit 0 only for SERVING),
//   or with --watch=N, Watch: prints each status as it arrives until N have
//   arrived, the stream ends, or --timeout (exit 0 if N arrived).
// list: the services reflection reports, one per line.
// call: finds the method's types by reflection, turns JSON into the request,
//   calls, and prints the reply as JSON (as grpcurl does).
// --reflection picks the protocol version (v1alpha: what gRPC 1.51 serves;
// v1). Exit 2 for bad usage, 1 for any failure, with the reason on stderr.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/live/cli.h"
#include "tools/grpc_probe/probe.h"

ABSL_FLAG(std::string, service, "", "health: the service to ask about");
ABSL_FLAG(int, watch, 0,
          "health: Watch instead of Check, until this many statuses (1..100)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5),
          "deadline of each call or stream (1ms..1h)");
ABSL_FLAG(std::string, reflection, "v1alpha",
          "reflection protocol version: v1alpha or v1");

namespace {

constexpr char kUsage[] =
    "Checks a gRPC server's health and asks its reflection service.\n"
    "usage: grpc_probe health ADDRESS [--service=NAME] [--watch=N]\n"
    "       grpc_probe list ADDRESS\n"
    "       grpc_probe call ADDRESS SERVICE/METHOD JSON\n"
    "       [--timeout=5s] [--reflection=v1alpha|v1]";

saludo::tools::ProbeOptions OptionsFromFlags() {
  using saludo::runtime::live::UsageError;
  saludo::tools::ProbeOptions options;
  options.timeout = absl::GetFlag(FLAGS_timeout);
  if (options.timeout < absl::Milliseconds(1) ||
      options.timeout > absl::Hours(1)) {
    UsageError("--timeout must be in 1ms..1h");
  }
  options.watch = absl::GetFlag(FLAGS_watch);
  if (options.watch < 0 || options.watch > 100) {
    UsageError("--watch must be in 0..100");
  }
  options.service = absl::GetFlag(FLAGS_service);
  options.reflection_v1 = absl::GetFlag(FLAGS_reflection) == "v1";
  if (!options.reflection_v1 && absl::GetFlag(FLAGS_reflection) != "v1alpha") {
    UsageError("--reflection must be v1alpha or v1");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  using saludo::runtime::live::UsageError;
  const std::vector<std::string> args =
      saludo::runtime::live::ParseFlagsOrExit(argc, argv, kUsage, 4);
  if (args.size() < 2) UsageError("a command and an ADDRESS are needed");
  const saludo::tools::ProbeOptions options = OptionsFromFlags();
  const std::string& command = args[0];
  const std::string& address = args[1];
  absl::StatusOr<std::string> out;
  if (command == "health" && args.size() == 2) {
    out = saludo::tools::Health(address, options);
  } else if (command == "list" && args.size() == 2) {
    out = saludo::tools::ListServices(address, options);
  } else if (command == "call" && args.size() == 4) {
    out = saludo::tools::CallByReflection(address, args[2], args[3], options);
  } else {
    UsageError(absl::StrCat("unknown command or wrong arguments: ", command));
  }
  if (!out.ok()) {
    std::fprintf(stderr, "grpc_probe: %s\n", out.status().ToString().c_str());
    return 1;
  }
  std::fputs(out->c_str(), stdout);
  return 0;
}
