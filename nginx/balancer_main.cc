// `bazel run //nginx:balancer`: runs nginx with nginx/nginx.conf (or --config)
// as a normal process in a temporary prefix, until SIGINT/SIGTERM.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "nginx/nginx_process.h"
#include "runtime/live/cli.h"
#include "tools/cpp/runfiles/runfiles.h"

ABSL_FLAG(std::string, config, "",
          "nginx configuration file (default: the shipped nginx/nginx.conf)");
ABSL_FLAG(std::string, port_map, "",
          "remap ports in the configuration, e.g. 3001=41001,3005=41005");
ABSL_FLAG(bool, keep_prefix, false, "keep the temporary prefix (logs) on exit");

int main(int argc, char** argv) {
  saludo::runtime::live::ParseFlagsOrExit(
      argc, argv,
      "Runs nginx unprivileged with the project's configuration.\n"
      "usage: balancer [--config=FILE] [--port_map=3005=8005] [--keep_prefix]");
  using bazel::tools::cpp::runfiles::Runfiles;
  std::string error;
  std::unique_ptr<Runfiles> runfiles(Runfiles::Create(argv[0], &error));
  saludo::nginx::NginxOptions options;
  options.config_path = absl::GetFlag(FLAGS_config);
  if (options.config_path.empty()) {
    if (runfiles == nullptr) {
      std::fprintf(stderr, "balancer: %s\n", error.c_str());
      return 1;
    }
    options.config_path = runfiles->Rlocation("saludo_sim/nginx/nginx.conf");
  } else {
    options.config_path = saludo::runtime::live::UserPath(options.config_path);
  }
  auto port_map = saludo::nginx::ParsePortMap(absl::GetFlag(FLAGS_port_map));
  if (!port_map.ok()) {
    saludo::runtime::live::UsageError(std::string(port_map.status().message()));
  }
  options.rewrites.ports = *port_map;
  options.errors_to_stderr = true;
  options.keep_prefix = absl::GetFlag(FLAGS_keep_prefix);

  saludo::runtime::live::BlockStopSignals();

  auto nginx = saludo::nginx::NginxProcess::Start(options);
  if (!nginx.ok()) {
    std::fprintf(stderr, "balancer: %s\n",
                 std::string(nginx.status().message()).c_str());
    return 1;
  }
  std::printf("nginx listening on 127.0.0.1:%s (config %s, prefix %s)\n",
              absl::StrJoin((*nginx)->listen_ports(), ",").c_str(),
              options.config_path.c_str(), (*nginx)->prefix().c_str());
  std::fflush(stdout);
  // Wake up now and then to notice if nginx dies on its own.
  const int signal_number = saludo::runtime::live::WaitForStopSignal(
      absl::Milliseconds(200), [&] { return (*nginx)->Running(); });
  if (signal_number == 0) {
    std::fprintf(stderr, "balancer: nginx exited unexpectedly\n");
    return 1;
  }
  (*nginx)->Stop();
  std::printf("nginx stopped\n");
  return 0;
}
