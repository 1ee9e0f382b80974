// `bazel run //:live`: both Saludo servers and nginx as real processes, on the
// seed's ports (3001, 3002, 3005) unless --free_ports. Ctrl-C stops all.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "runtime/live/cli.h"
#include "stack/live_stack.h"

ABSL_FLAG(std::string, nginx_config, "nginx",
          "'nginx' (nginx/nginx.conf), 'seed' (nginx/seed.conf) or a path");
ABSL_FLAG(bool, free_ports, false, "use free ports instead of the seed's");
ABSL_FLAG(bool, log_calls, true, "servers print one line per call");

int main(int argc, char** argv) {
  using namespace saludo;
  runtime::live::ParseFlagsOrExit(
      argc, argv,
      "Runs the live stack: 2 Saludo servers (with --control) behind nginx.\n"
      "usage: live [--nginx_config=nginx|seed|PATH] [--free_ports]");
  absl::StatusOr<stack::StackFiles> files = stack::FindStackFiles(argv[0]);
  if (!files.ok()) {
    std::fprintf(stderr, "live: %s\n", files.status().ToString().c_str());
    return 1;
  }
  stack::LiveStackOptions options;
  options.server_binary = files->server_binary;
  const std::string config = absl::GetFlag(FLAGS_nginx_config);
  options.nginx_config = config == "nginx"  ? files->nginx_conf
                         : config == "seed" ? files->seed_conf
                                            : config;
  options.free_ports = absl::GetFlag(FLAGS_free_ports);
  options.log_calls = absl::GetFlag(FLAGS_log_calls);

  runtime::live::BlockStopSignals();

  absl::StatusOr<std::unique_ptr<stack::LiveStack>> live =
      stack::LiveStack::Start(options);
  if (!live.ok()) {
    std::fprintf(stderr, "live: %s\n",
                 std::string(live.status().message()).c_str());
    return 1;
  }
  std::printf(
      "servidor 1 on %s (control %s), servidor 2 on %s (control %s)\n"
      "nginx on %s (config %s, logs in %s/logs)\n"
      "try: bazel run //client -- --target=%s --requests=4\n"
      "Ctrl-C stops everything.\n",
      (*live)->server_target(1).c_str(), (*live)->control_target(1).c_str(),
      (*live)->server_target(2).c_str(), (*live)->control_target(2).c_str(),
      (*live)->nginx_target().c_str(), options.nginx_config.c_str(),
      (*live)->nginx().prefix().c_str(), (*live)->nginx_target().c_str());
  std::fflush(stdout);
  runtime::live::WaitForStopSignal();
  std::printf("stopping\n");
  live->reset();
  return 0;
}
