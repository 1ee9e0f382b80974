// `bazel run //:demo`: the live stack on free ports, a client burst through
// nginx with the per-server distribution, then the seed's hung server (41 s)
// and what nginx 1.22 really does with it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/summary.h"
#include "runtime/live/cli.h"
#include "scenario/html_report.h"
#include "scenario/live/live_target.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/runner.h"
#include "sim/seed_world.h"
#include "stack/live_calls.h"
#include "stack/live_stack.h"

ABSL_FLAG(int64_t, requests, 20, "calls in the balanced burst");
ABSL_FLAG(int, concurrency, 1, "calls in flight in the balanced burst");
ABSL_FLAG(uint64_t, seed, 1, "seed of the simulated half");
ABSL_FLAG(absl::Duration, hung_seconds, absl::Seconds(15),
          "how much of the hung-server scenario to play");
ABSL_FLAG(std::string, html, "",
          "where to write the HTML report of the hung-server comparison "
          "(default: saludo_demo_report.html in the temporary directory)");

namespace {

void PrintRecords(const std::vector<saludo::client::CallRecord>& records) {
  for (const auto& r : records) {
    std::printf("  %s\n", saludo::client::FormatCall(r).c_str());
  }
}

}  // namespace

// Part 1: a burst through the live stack, then the same burst simulated.
int BurstLiveAndSimulated(const saludo::stack::StackFiles& files,
                          const saludo::client::LoadOptions& burst) {
  using namespace saludo;
  absl::StatusOr<std::unique_ptr<stack::LiveStack>> live =
      stack::LiveStack::Start(stack::FreePortOptions(files));
  if (!live.ok()) {
    std::fprintf(stderr, "demo: %s\n",
                 std::string(live.status().message()).c_str());
    return 1;
  }
  stack::LiveStack& stack = **live;
  std::printf(
      "== live stack: servidor 1 on %s, servidor 2 on %s, nginx on %s "
      "(nginx/nginx.conf)\n",
      stack.server_target(1).c_str(), stack.server_target(2).c_str(),
      stack.nginx_target().c_str());
  std::printf(
      "\n== %lld calls through nginx (concurrency %d), live and simulated\n",
      static_cast<long long>(burst.requests), burst.concurrency);
  std::vector<client::CallRecord> records =
      stack::RunLiveBurst(stack.nginx_target(), burst);
  if (burst.requests <= 10) PrintRecords(records);
  // The same client code and burst in virtual time, through the nginx twin
  // running the same nginx.conf.
  sim::SeedWorldOptions simulated;
  simulated.nginx_config = files.nginx_conf;
  simulated.seed = absl::GetFlag(FLAGS_seed);
  simulated.load = burst;
  simulated.link.latency =
      sim::Distribution::LogNormal(absl::Microseconds(60), 0.3);
  absl::StatusOr<sim::SeedWorld> world = sim::BuildSeedWorld(simulated);
  if (!world.ok()) {
    std::fprintf(stderr, "demo: %s\n", world.status().ToString().c_str());
    return 1;
  }
  world->world->Run();
  std::printf("%s",
              scenario::SideBySide(
                  "live (real nginx)",
                  client::FormatSummary(client::Summarize(records)),
                  absl::StrCat("simulated (seed ", simulated.seed,
                               ", nginx twin)"),
                  client::FormatSummary(client::Summarize(
                      world->world->records(world->client))))
                  .c_str());
  std::printf("simulated links: %s one way; trace hash %016llx\n",
              simulated.link.latency.ToString().c_str(),
              static_cast<unsigned long long>(world->world->trace_hash()));
  return 0;
}

// Writes the comparison's HTML report and prints where (a path to open in a
// browser); 1 if it cannot be written.
int WriteReport(const std::string& page) {
  std::string path = absl::GetFlag(FLAGS_html);
  std::error_code ec;
  if (path.empty()) {
    path = (std::filesystem::temp_directory_path(ec) /
            "saludo_demo_report.html")
               .string();
  }
  path = std::filesystem::absolute(saludo::runtime::live::UserPath(path), ec)
             .string();
  std::ofstream out(path, std::ios::binary);
  out << page;
  if (!out) {
    std::fprintf(stderr, "demo: cannot write %s\n", path.c_str());
    return 1;
  }
  std::printf("\nHTML report of the hung-server comparison: %s\n",
              path.c_str());
  return 0;
}

// Part 2: the seed's hung server as a scenario file, live and simulated.
int HungServerScenario(const saludo::stack::StackFiles& files,
                       const char* argv0) {
  using namespace saludo;
  const std::string path =
      files.nginx_conf.substr(0, files.nginx_conf.rfind("/nginx/nginx.conf")) +
      "/scenario/scenarios/hung_server_nginx_conf.textproto";
  absl::StatusOr<scenario::LoadedScenario> scenario =
      scenario::LoadScenario(path);
  absl::StatusOr<scenario::Locate> locate = scenario::RunfilesLocator(argv0);
  if (!scenario.ok() || !locate.ok()) {
    std::fprintf(stderr, "demo: %s\n",
                 (!scenario.ok() ? scenario.status() : locate.status())
                     .ToString()
                     .c_str());
    return 1;
  }
  scenario::TruncateScenario(&*scenario, absl::GetFlag(FLAGS_hung_seconds));
  std::printf(
      "\n== the seed's hung server "
      "(scenario/scenarios/hung_server_nginx_conf.textproto,"
      " first %s):\n   servidor 1 answers only after 41 s; live and "
      "simulated\n",
      absl::FormatDuration(scenario->duration).c_str());
  std::fflush(stdout);
  scenario::LiveTarget target(*locate);
  absl::StatusOr<scenario::ScenarioRun> played =
      scenario::RunScenario(*scenario, target);
  absl::StatusOr<scenario::ScenarioRun> hung_sim =
      scenario::RunSimulated(*scenario, absl::GetFlag(FLAGS_seed), false);
  if (!played.ok() || !hung_sim.ok()) {
    std::fprintf(stderr, "demo: %s\n",
                 (!played.ok() ? played.status() : hung_sim.status())
                     .ToString()
                     .c_str());
    return 1;
  }
  std::printf("%s", scenario::SideBySide(
                        "live", scenario::FormatRunSummary(*scenario, *played),
                        absl::StrCat("simulated (seed ",
                                     absl::GetFlag(FLAGS_seed), ")"),
                        scenario::FormatRunSummary(*scenario, *hung_sim))
                        .c_str());
  std::printf(
      "nginx 1.22 never retries a gRPC call once it was sent: the hung server "
      "costs the calls routed to it before max_fails takes it out, and one per "
      "probe after each fail_timeout.\n");
  return WriteReport(scenario::CompareToHtml(*scenario, *played, *hung_sim));
}

int main(int argc, char** argv) {
  using namespace saludo;
  runtime::live::ParseFlagsOrExit(
      argc, argv,
      "Demo: 2 servers behind nginx, a burst live and simulated, then the "
      "seed's hung server.\n"
      "usage: demo [--requests=N] [--concurrency=C] [--seed=N] "
      "[--hung_seconds=D] [--html=PATH]");
  client::LoadOptions burst;
  burst.requests = absl::GetFlag(FLAGS_requests);
  burst.concurrency = absl::GetFlag(FLAGS_concurrency);
  if (absl::Status s = client::ValidateLoadOptions(burst); !s.ok()) {
    runtime::live::UsageError(std::string(s.message()));
  }
  if (burst.requests > 1000000 || burst.concurrency > 10000) {
    runtime::live::UsageError(
        "--requests must be at most 1000000 and --concurrency at most 10000");
  }
  const absl::Duration hung = absl::GetFlag(FLAGS_hung_seconds);
  if (hung <= absl::ZeroDuration() || hung > absl::Minutes(10)) {
    runtime::live::UsageError("--hung_seconds must be in (0, 10m]");
  }
  absl::StatusOr<stack::StackFiles> files = stack::FindStackFiles(argv[0]);
  if (!files.ok()) {
    std::fprintf(stderr, "demo: %s\n", files.status().ToString().c_str());
    return 1;
  }
  if (int rc = BurstLiveAndSimulated(*files, burst); rc != 0) return rc;
  return HungServerScenario(*files, argv[0]);
}
