// The live benchmark of docs/BENCHMARKS.md: calls/s and latency p50/p99 at
// several concurrencies, direct to one server and through nginx (nginx.conf,
// two servers), median of --runs runs after a warm-up.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/summary.h"
#include "runtime/live/cli.h"
#include "stack/live_calls.h"
#include "stack/live_stack.h"

ABSL_FLAG(int, runs, 5, "measured runs per cell (the median is reported)");
ABSL_FLAG(int64_t, calls_per_run, 5000, "calls per run");
ABSL_FLAG(std::string, concurrency, "1,16,64", "concurrencies to measure");
ABSL_FLAG(std::string, nginx_config, "",
          "nginx configuration (default: the shipped nginx/nginx.conf)");

namespace {

template <class T>
T Median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace saludo;
  runtime::live::ParseFlagsOrExit(
      argc, argv,
      "Live benchmark: direct vs through nginx.\n"
      "usage: bench_live [--runs=5] [--calls_per_run=5000] "
      "[--concurrency=1,16,64] [--nginx_config=FILE]");
  std::vector<int> concurrencies;
  for (absl::string_view c :
       absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',')) {
    int n = 0;
    if (!absl::SimpleAtoi(c, &n) || n < 1) {
      runtime::live::UsageError("bad --concurrency entry '" + std::string(c) +
                                "'");
    }
    concurrencies.push_back(n);
  }
  auto files = stack::FindStackFiles(argv[0]);
  if (!files.ok()) {
    std::fprintf(stderr, "bench_live: %s\n", files.status().ToString().c_str());
    return 1;
  }
  stack::LiveStackOptions options = stack::FreePortOptions(*files);
  if (!absl::GetFlag(FLAGS_nginx_config).empty()) {
    options.nginx_config = absl::GetFlag(FLAGS_nginx_config);
  }
  options.control = false;
  auto live = stack::LiveStack::Start(options);
  if (!live.ok()) {
    std::fprintf(stderr, "bench_live: %s\n", live.status().ToString().c_str());
    return 1;
  }
  std::printf("| path | concurrency | calls/s | p50 | p99 | failed |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const bool via_nginx : {false, true}) {
    const std::string target =
        via_nginx ? (*live)->nginx_target() : (*live)->server_target(1);
    for (int concurrency : concurrencies) {
      client::LoadOptions load;
      load.requests = absl::GetFlag(FLAGS_calls_per_run);
      load.concurrency = concurrency;
      stack::RunLiveBurst(target, load);  // warm-up
      std::vector<double> rates;
      std::vector<absl::Duration> p50s, p99s;
      int64_t failed = 0;
      for (int run = 0; run < absl::GetFlag(FLAGS_runs); ++run) {
        client::LoadSummary s =
            client::Summarize(stack::RunLiveBurst(target, load));
        rates.push_back(s.calls_per_second);
        p50s.push_back(s.latency.p50);
        p99s.push_back(s.latency.p99);
        failed += s.failed;
      }
      std::printf("| %s | %d | %.0f | %.0f µs | %.0f µs | %lld |\n",
                  via_nginx ? "client → nginx → 2 servers" : "client → server",
                  concurrency, Median(rates),
                  absl::ToDoubleMicroseconds(Median(p50s)),
                  absl::ToDoubleMicroseconds(Median(p99s)),
                  static_cast<long long>(failed));
      std::fflush(stdout);
    }
  }
  return 0;
}
