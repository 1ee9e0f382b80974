// `bazel run //:demo`: the live stack on free ports, a client burst through
// nginx with the per-server distribution, then the seed's hung server (41 s)
// and what nginx 1.22 really does with it.
#include <algorithm>
#include <cstdio>
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
#include "sim/seed_world.h"
#include "stack/live_calls.h"
#include "stack/live_stack.h"

ABSL_FLAG(int64_t, requests, 20, "calls in the balanced burst");
ABSL_FLAG(int, concurrency, 1, "calls in flight in the balanced burst");
ABSL_FLAG(uint64_t, seed, 1, "seed of the simulated half");

namespace {

// Prints two multi-line texts in columns.
void PrintSideBySide(const std::string& left_title, const std::string& left,
                     const std::string& right_title, const std::string& right) {
  std::vector<std::string> l = absl::StrSplit(left, '\n', absl::SkipEmpty());
  std::vector<std::string> r = absl::StrSplit(right, '\n', absl::SkipEmpty());
  size_t width = left_title.size();
  for (const auto& line : l) width = std::max(width, line.size());
  std::printf("%-*s | %s\n", static_cast<int>(width), left_title.c_str(),
              right_title.c_str());
  for (size_t i = 0; i < std::max(l.size(), r.size()); ++i) {
    std::printf("%-*s | %s\n", static_cast<int>(width),
                i < l.size() ? l[i].c_str() : "",
                i < r.size() ? r[i].c_str() : "");
  }
}

void PrintRecords(const std::vector<saludo::client::CallRecord>& records) {
  for (const auto& r : records) {
    std::printf("  %s\n", saludo::client::FormatCall(r).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace saludo;
  runtime::live::ParseFlagsOrExit(
      argc, argv,
      "Demo: 2 servers behind nginx, a burst live and simulated, then the "
      "seed's hung server.\n"
      "usage: demo [--requests=N] [--concurrency=C] [--seed=N]");
  client::LoadOptions burst;
  burst.requests = absl::GetFlag(FLAGS_requests);
  burst.concurrency = absl::GetFlag(FLAGS_concurrency);
  if (absl::Status s = client::ValidateLoadOptions(burst); !s.ok()) {
    runtime::live::UsageError(std::string(s.message()));
  }
  absl::StatusOr<stack::StackFiles> files = stack::FindStackFiles(argv[0]);
  if (!files.ok()) {
    std::fprintf(stderr, "demo: %s\n", files.status().ToString().c_str());
    return 1;
  }
  stack::LiveStackOptions options;
  options.server_binary = files->server_binary;
  options.nginx_config = files->nginx_conf;
  options.free_ports = true;
  absl::StatusOr<std::unique_ptr<stack::LiveStack>> live =
      stack::LiveStack::Start(options);
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
  simulated.nginx_config = files->nginx_conf;
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
  PrintSideBySide(
      "live (real nginx)", client::FormatSummary(client::Summarize(records)),
      absl::StrCat("simulated (seed ", simulated.seed, ", nginx twin)"),
      client::FormatSummary(
          client::Summarize(world->world->records(world->client))));
  std::printf("simulated links: %s one way; trace hash %016llx\n",
              simulated.link.latency.ToString().c_str(),
              static_cast<unsigned long long>(world->world->trace_hash()));

  std::printf(
      "\n== the seed's hung server: servidor 1 answers only after 41 s\n"
      "   (grpc_read_timeout 1s, max_fails=2, fail_timeout=10s)\n");
  control::Faults hang;
  hang.set_hang_nanos(absl::ToInt64Nanoseconds(absl::Seconds(41)));
  if (auto r = stack::SetServerFaults(stack.server_target(1), hang); !r.ok()) {
    std::fprintf(stderr, "demo: %s\n", r.status().ToString().c_str());
    return 1;
  }
  client::LoadOptions serial;
  serial.requests = 6;
  serial.deadline = absl::Seconds(5);
  records = stack::RunLiveBurst(stack.nginx_target(), serial);
  simulated.load = serial;
  simulated.server1_hang = absl::Seconds(41);
  world = sim::BuildSeedWorld(simulated);
  world->world->Run();
  std::string live_calls, sim_calls;
  for (const auto& r : records) {
    absl::StrAppend(&live_calls, client::FormatCall(r), "\n");
  }
  for (const auto& r : world->world->records(world->client)) {
    absl::StrAppend(&sim_calls, client::FormatCall(r), "\n");
  }
  PrintSideBySide("live", live_calls, "simulated (nginx twin)", sim_calls);
  std::string live_log, sim_log;
  std::vector<std::string> log = stack.nginx().AccessLogLines();
  for (size_t i = log.size() >= 6 ? log.size() - 6 : 0; i < log.size(); ++i) {
    absl::StrAppend(&live_log, log[i], "\n");
  }
  for (const auto& e : world->world->twin(world->balancer)->access_log()) {
    absl::StrAppend(&sim_log, e.Format(), "\n");
  }
  std::printf("\n");
  PrintSideBySide("nginx access log", live_log, "the twin's access log",
                  sim_log);
  std::printf(
      "nginx 1.22 never retries a gRPC call once it was sent: the hung server "
      "costs one failed call per attempt until max_fails takes it out.\n");
  return 0;
}
