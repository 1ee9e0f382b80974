// Simulates the seed's topology for one seed and prints the client's summary
// and the trace hash (optionally the event log). Used by the demo and by the
// cross-process determinism test; the full `sim` tool comes with scenarios.
//
//   simulate_seed --seed=7 --requests=100 --concurrency=4 [--hang_server1=41s]
//              [--latency=uniform:100us:900us] [--log] [--check]
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/summary.h"
#include "runtime/live/cli.h"
#include "sim/seed_world.h"
#include "tools/cpp/runfiles/runfiles.h"
#include "tools/sim_cli/keep_freed_memory.h"

ABSL_FLAG(uint64_t, seed, 1, "master seed");
ABSL_FLAG(int64_t, requests, 20, "calls in the burst");
ABSL_FLAG(int, concurrency, 1, "calls in flight");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(5), "deadline per call");
ABSL_FLAG(absl::Duration, hang_server1, absl::ZeroDuration(),
          "server1 hangs this long from the start");
ABSL_FLAG(std::string, latency, "fixed:50us",
          "one-way latency of every link: fixed:D, uniform:LOW:HIGH, "
          "normal:MEAN:SD, exponential:MEAN, lognormal:MEDIAN:SIGMA, "
          "pareto:MIN:ALPHA");
ABSL_FLAG(double, loss, 0, "probability that a message is lost");
ABSL_FLAG(std::string, nginx_config, "",
          "nginx configuration the twin runs (default: nginx/nginx.conf; "
          "'seed' for nginx/seed.conf)");
ABSL_FLAG(bool, log, false, "print the event log");
ABSL_FLAG(bool, access_log, false, "print the twin's nginx access log");
ABSL_FLAG(bool, check, false, "run twice and compare (determinism check)");

namespace {

using saludo::sim::Distribution;

// Parses the --latency value; false if malformed.
bool ParseLatency(const std::string& text, Distribution* out) {
  std::vector<std::string> p = absl::StrSplit(text, ':');
  auto dur = [&](size_t i, absl::Duration* d) {
    return i < p.size() && absl::ParseDuration(p[i], d) &&
           *d >= absl::ZeroDuration();
  };
  auto num = [&](size_t i, double* x) {
    return i < p.size() && absl::SimpleAtod(p[i], x) && *x > 0;
  };
  absl::Duration a, b;
  double x;
  if (p[0] == "fixed" && p.size() == 2 && dur(1, &a)) {
    *out = Distribution::Fixed(a);
  } else if (p[0] == "uniform" && p.size() == 3 && dur(1, &a) && dur(2, &b) &&
             a <= b) {
    *out = Distribution::Uniform(a, b);
  } else if (p[0] == "normal" && p.size() == 3 && dur(1, &a) && dur(2, &b)) {
    *out = Distribution::Normal(a, b);
  } else if (p[0] == "exponential" && p.size() == 2 && dur(1, &a)) {
    *out = Distribution::Exponential(a);
  } else if (p[0] == "lognormal" && p.size() == 3 && dur(1, &a) && num(2, &x)) {
    *out = Distribution::LogNormal(a, x);
  } else if (p[0] == "pareto" && p.size() == 3 && dur(1, &a) && num(2, &x)) {
    *out = Distribution::Pareto(a, x);
  } else {
    return false;
  }
  return true;
}

}  // namespace

// The nginx file: --nginx_config, or a shipped one from the runfiles.
std::string NginxConfigPath(const char* argv0) {
  const std::string flag = absl::GetFlag(FLAGS_nginx_config);
  if (!flag.empty() && flag != "seed") {
    return saludo::runtime::live::UserPath(flag);
  }
  std::string error;
  std::unique_ptr<bazel::tools::cpp::runfiles::Runfiles> runfiles(
      bazel::tools::cpp::runfiles::Runfiles::Create(argv0, &error));
  if (runfiles == nullptr) {
    std::fprintf(stderr, "simulate_seed: %s\n", error.c_str());
    std::exit(1);
  }
  return runfiles->Rlocation(flag.empty() ? "saludo_sim/nginx/nginx.conf"
                                          : "saludo_sim/nginx/seed.conf");
}

// The world's options from the flags, each checked (usage and exit 2).
saludo::sim::SeedWorldOptions OptionsFromFlags(const char* argv0) {
  using namespace saludo;
  sim::SeedWorldOptions options;
  options.nginx_config = NginxConfigPath(argv0);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.load.requests = absl::GetFlag(FLAGS_requests);
  options.load.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.load.deadline = absl::GetFlag(FLAGS_deadline);
  options.server1_hang = absl::GetFlag(FLAGS_hang_server1);
  options.link.loss = absl::GetFlag(FLAGS_loss);
  if (absl::Status s = client::ValidateLoadOptions(options.load); !s.ok()) {
    runtime::live::UsageError(std::string(s.message()));
  }
  if (options.load.requests > 100000000 || options.load.concurrency > 100000) {
    runtime::live::UsageError(
        "--requests must be at most 100000000 and --concurrency at most "
        "100000");
  }
  if (options.server1_hang < absl::ZeroDuration() ||
      options.server1_hang > absl::Hours(24)) {
    runtime::live::UsageError("--hang_server1 must be in [0, 24h]");
  }
  if (!ParseLatency(absl::GetFlag(FLAGS_latency), &options.link.latency)) {
    runtime::live::UsageError("bad --latency '" + absl::GetFlag(FLAGS_latency) +
                              "'");
  }
  if (!(options.link.loss >= 0 && options.link.loss <= 1)) {
    runtime::live::UsageError("--loss must be in [0, 1]");
  }
  return options;
}

// --check: the world twice, compared event by event.
int CheckCommand(saludo::sim::SeedWorldOptions options) {
  using namespace saludo;
  options.keep_log = true;
  if (absl::Status s = sim::BuildSeedWorld(options).status(); !s.ok()) {
    std::fprintf(stderr, "simulate_seed: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  sim::DeterminismReport r = sim::CheckDeterminism([&] {
    sim::SeedWorld w = *sim::BuildSeedWorld(options);
    w.world->Run();
    return std::move(w.world);
  });
  if (r.deterministic) {
    std::printf("deterministic: seed %llu, %llu events, trace hash %016llx\n",
                static_cast<unsigned long long>(options.seed),
                static_cast<unsigned long long>(r.events),
                static_cast<unsigned long long>(r.hash_first));
    return 0;
  }
  std::printf(
      "NOT deterministic: first divergence at event %lld\n  run 1: %s\n  run "
      "2: %s\n",
      static_cast<long long>(r.first_divergence), r.first_event.c_str(),
      r.second_event.c_str());
  return 1;
}

// The event log and access log when asked, the calls, the summary.
void PrintRun(saludo::sim::SeedWorld& w,
              const saludo::sim::SeedWorldOptions& options) {
  using namespace saludo;
  if (options.keep_log) {
    for (const sim::TraceEvent& e : w.world->sim().trace().log()) {
      std::printf("%s\n",
                  sim::FormatEvent(e, w.world->sim().node_names()).c_str());
    }
  }
  if (absl::GetFlag(FLAGS_access_log)) {
    for (const sim::TwinLogEntry& e : w.world->twin(w.balancer)->access_log()) {
      std::printf("nginx: %s\n", e.Format().c_str());
    }
  }
  const auto& records = w.world->records(w.client);
  if (options.load.requests <= 10) {
    for (const auto& r : records) {
      std::printf("%s\n", client::FormatCall(r).c_str());
    }
  }
  std::printf("%s", client::FormatSummary(client::Summarize(records)).c_str());
  const auto& unmodeled = w.world->twin(w.balancer)->config().unmodeled;
  if (!unmodeled.empty()) {
    std::printf("not modelled by the nginx twin (%zu): %s\n", unmodeled.size(),
                absl::StrJoin(unmodeled, "; ").c_str());
  }
  std::printf("simulated %s, seed %llu, trace hash %016llx\n",
              absl::FormatDuration(w.world->sim().now()).c_str(),
              static_cast<unsigned long long>(options.seed),
              static_cast<unsigned long long>(w.world->trace_hash()));
}

int main(int argc, char** argv) {
  using namespace saludo;
  sim::KeepFreedMemory();  // as `sim` does
  runtime::live::ParseFlagsOrExit(
      argc, argv,
      "Simulates the seed's topology (2 servers, the nginx twin, client).\n"
      "usage: simulate_seed [--seed=N] [--requests=N] [--concurrency=C] "
      "[--deadline=D] [--hang_server1=D] [--latency=KIND:ARGS] [--loss=P] "
      "[--nginx_config=FILE|seed] [--log] [--access_log] [--check]\n"
      "exits 1 if any call failed (as the client does)");
  sim::SeedWorldOptions options = OptionsFromFlags(argv[0]);
  if (absl::GetFlag(FLAGS_check)) return CheckCommand(options);
  options.keep_log = absl::GetFlag(FLAGS_log);
  absl::StatusOr<sim::SeedWorld> built = sim::BuildSeedWorld(options);
  if (!built.ok()) {
    std::fprintf(stderr, "simulate_seed: %s\n",
                 std::string(built.status().message()).c_str());
    return 1;
  }
  built->world->Run();
  PrintRun(*built, options);
  // Like the client: non-zero when any call failed.
  const auto& records = built->world->records(built->client);
  return client::Summarize(records).failed > 0 ? 1 : 0;
}
