// The `sim` tool (`bazel run //sim`): run scenario files in the simulator.
//
//   sim run FILE [--seed=N] [--json=PATH [--calls]] [--trace=PATH]
//                [--html=PATH]
//   sim sweep FILE --seeds=N [--first_seed=S] [--jobs=J]
//   sim explore NGINX_CONF [--seeds=N] [--jobs=J] [--chaos=FILE] ...
//   sim merge OUT_JSON_FILES... [--junit=PATH]
//   sim check FILE [--seed=N]
//   (run, sweep, explore, check, shrink: [--nginx_check=auto|on|off])
//   sim shrink FILE --seed=N [--out=PATH] [--signature=TEXT]
//   sim live FILE [--seed=N] [--max_duration=D] [--html=PATH] [--json=PATH]
//                                                         (real processes)
//   sim compare FILE [--seed=N] [--max_duration=D] [--html=PATH] [--json=PATH]
//
// Each world is single-threaded and deterministic; `sweep` runs independent
// worlds on several threads (this file is tooling, not simulator code).

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "nginx/nginx_process.h"
#include "runtime/check.h"
#include "runtime/input_file.h"
#include "runtime/live/cli.h"
#include "runtime/live/netns.h"
#include "runtime/sync.h"
#include "scenario/chaos.h"
#include "scenario/explore.h"
#include "scenario/html_report.h"
#include "scenario/live/live_target.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/runner.h"
#include "scenario/shrink.h"
#include "scenario/sweep_summary.h"
#include "sim/trace.h"
#include "tools/sim_cli/keep_freed_memory.h"

ABSL_FLAG(uint64_t, seed, 0, "seed (default: the scenario's default_seed)");
ABSL_FLAG(std::string, json, "",
          "run, live: write the JSON report here; compare: both, as "
          "{\"live\": ..., \"simulated\": ...}");
ABSL_FLAG(bool, calls, false,
          "run: the JSON report lists every call with every attempt nginx "
          "made for it, and nginx's access log");
ABSL_FLAG(std::string, html, "",
          "run, live, compare, sweep, explore, merge: write a self-contained "
          "HTML report here (charts; opens from disk in any browser)");
ABSL_FLAG(std::string, trace, "",
          "run: write a Chrome trace-event JSON here (open in Perfetto)");
ABSL_FLAG(int64_t, seeds, 100, "sweep: how many seeds");
ABSL_FLAG(uint64_t, first_seed, 1, "sweep: the first seed");
ABSL_FLAG(int, jobs, 0, "sweep: threads, 0..256 (0: all cores)");
ABSL_FLAG(std::string, out_json, "",
          "sweep: write one JSON line per seed here (seed, ok, trace hash, "
          "failing properties, signatures, drawn faults), in completion order");
ABSL_FLAG(std::string, junit, "",
          "sweep/explore/merge: write a JUnit XML summary here (one test "
          "case per property) for CI systems");
ABSL_FLAG(int, shard_index, -1,
          "sweep: run only seeds i with i % shard_count == shard_index "
          "(default: $TEST_SHARD_INDEX)");
ABSL_FLAG(int, shard_count, -1, "sweep: (default: $TEST_TOTAL_SHARDS)");
ABSL_FLAG(std::string, out, "", "shrink: where to write the minimal scenario");
ABSL_FLAG(std::string, write_scenario, "",
          "run: write the timeline this seed drew from the chaos section as a "
          "fixed-timeline scenario file (it reproduces the same run); "
          "explore: where to write the scenario made from the nginx "
          "configuration (default: ./NAME.explore.textproto)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(60),
          "explore: simulated time per seed, (0, 1h]");
ABSL_FLAG(int, concurrency, 4,
          "explore: the client's calls in flight (closed loop), [1, 1000]");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(5),
          "explore: the client's deadline per call, (0, 1h]");
ABSL_FLAG(int, max_attempts, 2,
          "explore: the attempts-per-call bound (retry amplification), "
          "[1, 100]");
ABSL_FLAG(std::string, chaos, "",
          "explore: a file with the fault space (a Chaos message in text "
          "format, docs/CHAOS.md) instead of the default one");
ABSL_FLAG(std::string, signature, "",
          "shrink: keep the failure signature that contains this text "
          "(default: the seed's first)");
ABSL_FLAG(absl::Duration, min_duration, absl::Seconds(5),
          "shrink: never shorter than this (a live run needs time to play "
          "a timeline), [0, 24h]");
ABSL_FLAG(absl::Duration, timing_slack, absl::Milliseconds(50),
          "shrink: keep the failure even when faults land this late, as "
          "live (0: exact simulated timing), [0, 10s]");
ABSL_FLAG(std::string, nginx_check, "auto",
          "run, sweep, explore, check, shrink: check the nginx file with "
          "`nginx -t` before modelling it: auto (when the nginx binary is "
          "installed), on (required), off");
ABSL_FLAG(bool, private_network, true,
          "live, compare: run the stack in a private network namespace, "
          "where partitions, loss and latency are applied (without one, or "
          "where the kernel refuses it, they are skipped)");
ABSL_FLAG(absl::Duration, max_duration, absl::InfiniteDuration(),
          "run/live/compare: cut the scenario at this time");

namespace {

using namespace saludo;

constexpr char kUsage[] =
    "Runs scenario files (scenario/scenarios/*.textproto) in the simulator.\n"
    "usage: sim run FILE [--seed=N] [--json=PATH [--calls]] [--trace=PATH] "
    "[--html=PATH] [--write_scenario=PATH]\n"
    "       sim sweep FILE --seeds=N [--first_seed=S] [--jobs=J] "
    "[--shard_index=I --shard_count=N] [--out_json=PATH] [--junit=PATH] "
    "[--html=PATH]\n"
    "       sim explore NGINX_CONF [--seeds=N] [--jobs=J] [--duration=D] "
    "[--concurrency=N] [--deadline=D] [--max_attempts=N] [--chaos=FILE] "
    "[--write_scenario=PATH] [--out_json=PATH] [--junit=PATH] [--html=PATH]\n"
    "       sim merge OUT_JSON_FILES... [--junit=PATH] [--html=PATH]\n"
    "       sim check FILE [--seed=N]\n"
    "       sim shrink FILE --seed=N [--out=PATH] [--signature=TEXT] "
    "[--min_duration=D] [--timing_slack=D]\n"
    "       sim live FILE [--seed=N] [--max_duration=D] [--html=PATH] "
    "[--json=PATH] [--private_network=false]\n"
    "       sim compare FILE [--seed=N] [--max_duration=D] [--html=PATH] "
    "[--json=PATH] [--private_network=false]\n"
    "run, sweep, explore, check and shrink first check the nginx file with "
    "`nginx -t`: --nginx_check=auto|on|off";

using runtime::live::UserPath;

// A scenario written to `out` names its nginx file relative to where it is
// written, so it loads from there.
void RebaseNginxPath(const std::string& nginx_path, const std::string& out,
                     scenario::Scenario* proto) {
  std::error_code ec;
  const std::filesystem::path nginx =
      std::filesystem::absolute(nginx_path, ec).lexically_normal();
  const std::filesystem::path dir =
      std::filesystem::absolute(UserPath(out), ec).parent_path();
  const std::filesystem::path relative = nginx.lexically_relative(dir);
  proto->mutable_topology()->set_nginx_config(
      relative.empty() ? nginx.string() : relative.string());
}

bool WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(UserPath(path), std::ios::binary);
  out << content;
  return static_cast<bool>(out);
}

// Writes the text `make_text` builds to --json if that was given (the text is
// built only then); false if that failed (after saying so).
bool WriteJson(const std::function<std::string()>& make_text) {
  const std::string path = absl::GetFlag(FLAGS_json);
  if (path.empty() || WriteFile(path, make_text())) return true;
  std::fprintf(stderr, "sim: cannot write %s\n", path.c_str());
  return false;
}

// Writes the page `make_page` builds to --html if that was given (and says
// where; the page is built only then); false if that failed (after saying
// so).
bool WriteHtml(const std::function<std::string()>& make_page) {
  const std::string path = absl::GetFlag(FLAGS_html);
  if (path.empty()) return true;
  if (!WriteFile(path, make_page())) {
    std::fprintf(stderr, "sim: cannot write %s\n", path.c_str());
    return false;
  }
  std::fprintf(stderr, "HTML report: %s\n", UserPath(path).c_str());
  return true;
}

std::string Replay(const scenario::LoadedScenario& s, uint64_t seed) {
  return absl::StrCat("bazel run //sim -- run ", s.path, " --seed=", seed);
}

int Run(const scenario::LoadedScenario& s, uint64_t seed) {
  const bool trace = !absl::GetFlag(FLAGS_trace).empty();
  const bool calls = absl::GetFlag(FLAGS_calls);
  if (calls && absl::GetFlag(FLAGS_json).empty()) {
    runtime::live::UsageError("--calls goes with --json=PATH");
  }
  absl::StatusOr<scenario::ScenarioRun> run =
      scenario::RunSimulated(s, seed, trace || calls);
  if (!run.ok()) {
    std::fprintf(stderr, "sim: %s\n", run.status().ToString().c_str());
    return 1;
  }
  std::printf("%s", scenario::WrapLines(scenario::FormatRunSummary(s, *run),
                                        scenario::TerminalColumns())
                        .c_str());
  if (!WriteJson([&] { return scenario::RunToJson(s, *run, calls); })) return 1;
  if (!WriteHtml([&] { return scenario::RunToHtml(s, *run); })) return 1;
  if (trace && !WriteFile(absl::GetFlag(FLAGS_trace),
                          scenario::RunToChromeTrace(s, *run))) {
    std::fprintf(stderr, "sim: cannot write %s\n",
                 absl::GetFlag(FLAGS_trace).c_str());
    return 1;
  }
  if (!absl::GetFlag(FLAGS_write_scenario).empty()) {
    scenario::Scenario drawn = scenario::DrawChaos(s, seed).proto;
    RebaseNginxPath(s.nginx_path, absl::GetFlag(FLAGS_write_scenario), &drawn);
    std::string text;
    google::protobuf::TextFormat::PrintToString(drawn, &text);
    const std::string header = absl::StrCat(
        "# The timeline seed ", seed, " drew from ", s.path,
        "; it reproduces that run (trace hash ",
        absl::StrFormat("%016x", run->observed.trace_hash), "):\n#   sim run ",
        absl::GetFlag(FLAGS_write_scenario), " --seed=", seed, "\n");
    if (!WriteFile(absl::GetFlag(FLAGS_write_scenario), header + text)) {
      std::fprintf(stderr, "sim: cannot write %s\n",
                   absl::GetFlag(FLAGS_write_scenario).c_str());
      return 1;
    }
  }
  for (const std::string& signature : scenario::FailureSignatures(*run)) {
    std::printf("signature: %s\n", signature.c_str());
  }
  if (!run->ok()) std::printf("replay: %s\n", Replay(s, seed).c_str());
  return run->ok() ? 0 : 1;
}

// Whether a failure (e.g. one explore found and shrink wrote down) shows
// against real processes, by the same signatures the simulator uses.
void PrintLiveOutcome(const scenario::ScenarioRun& live) {
  const std::vector<std::string> failures = scenario::FailureSignatures(live);
  for (const std::string& signature : failures) {
    std::printf("reproduced live: %s\n", signature.c_str());
  }
  if (!failures.empty()) return;
  int skipped = 0;
  for (const scenario::Verdict& v : live.verdicts) skipped += v.skipped;
  std::printf("not reproduced live: no property failed (%d of %zu skipped)\n",
              skipped, live.verdicts.size());
}

// Plays `s` (seed `seed`'s drawn timeline) against real processes until it
// ends or SIGINT/SIGTERM stops it (`*stop_signal` then says which).
absl::StatusOr<scenario::ScenarioRun> PlayLive(
    const scenario::LoadedScenario& s, const std::string& argv0, uint64_t seed,
    int* stop_signal) {
  absl::StatusOr<scenario::Locate> locate = scenario::RunfilesLocator(argv0);
  if (!locate.ok()) return locate.status();
  std::fprintf(stderr, "playing %s against real processes for %s...\n",
               s.name.c_str(), absl::FormatDuration(s.duration).c_str());
  scenario::LiveTarget target(*locate);
  absl::StatusOr<scenario::ScenarioRun> live;
  std::atomic<bool> finished{false};
  std::thread runner([&] {
    live = scenario::RunDrawn(s, target, seed);
    finished = true;
  });
  // Ctrl-C (or SIGTERM): stop every process, then report what was done.
  *stop_signal = runtime::live::WaitForStopSignal(absl::Milliseconds(100),
                                                  [&] { return !finished; });
  if (*stop_signal != 0) {
    std::fprintf(stderr, "sim: signal %d: stopping every process...\n",
                 *stop_signal);
    target.Cancel();
  }
  runner.join();
  return live;
}

int Live(const scenario::LoadedScenario& s, const std::string& argv0,
         bool compare, uint64_t seed) {
  int stop_signal = 0;
  absl::StatusOr<scenario::ScenarioRun> live =
      PlayLive(s, argv0, seed, &stop_signal);
  if (!live.ok()) {
    std::fprintf(stderr, "sim: %s\n", live.status().ToString().c_str());
    return 1;
  }
  const std::string live_text = scenario::FormatRunSummary(s, *live);
  if (!compare || stop_signal != 0) {
    std::printf("%s", scenario::WrapLines(live_text, scenario::TerminalColumns())
                          .c_str());
    PrintLiveOutcome(*live);
    if (!WriteJson([&] { return scenario::RunToJson(s, *live); })) return 1;
    if (!WriteHtml([&] { return scenario::RunToHtml(s, *live); })) return 1;
    if (stop_signal != 0) return 128 + stop_signal;
    return live->ok() ? 0 : 1;
  }
  absl::StatusOr<scenario::ScenarioRun> simulated =
      scenario::RunSimulated(s, seed, false);
  if (!simulated.ok()) {
    std::fprintf(stderr, "sim: %s\n", simulated.status().ToString().c_str());
    return 1;
  }
  std::printf("%s",
              scenario::SideBySide("live", live_text,
                                   absl::StrCat("simulated (seed ", seed, ")"),
                                   scenario::FormatRunSummary(s, *simulated))
                  .c_str());
  if (!WriteJson([&] { return scenario::CompareToJson(s, *live, *simulated); }))
    return 1;
  if (!WriteHtml([&] { return scenario::CompareToHtml(s, *live, *simulated); }))
    return 1;
  return live->ok() && simulated->ok() ? 0 : 1;
}

// The seeds of this shard (--shard_* or Bazel's test sharding variables),
// generated on demand: seed(k) for k in [0, size).
struct SeedRange {
  uint64_t first = 1;
  int64_t index = 0, count = 1;
  size_t size = 0;
  uint64_t seed(size_t k) const {
    return first + static_cast<uint64_t>(index) +
           static_cast<uint64_t>(k) * static_cast<uint64_t>(count);
  }
};

SeedRange SweepSeeds() {
  int shard_index = absl::GetFlag(FLAGS_shard_index);
  int shard_count = absl::GetFlag(FLAGS_shard_count);
  if (shard_count < 0) {
    const char* i = std::getenv("TEST_SHARD_INDEX");
    const char* n = std::getenv("TEST_TOTAL_SHARDS");
    shard_index = i ? std::atoi(i) : 0;
    shard_count = n ? std::atoi(n) : 1;
  }
  if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count) {
    runtime::live::UsageError("--shard_index must be in [0, --shard_count)");
  }
  const int64_t n = absl::GetFlag(FLAGS_seeds);
  if (n < 1 || n > 1000000000) {
    runtime::live::UsageError("--seeds must be in [1, 1000000000]");
  }
  SeedRange range;
  range.first = absl::GetFlag(FLAGS_first_seed);
  range.index = shard_index;
  range.count = shard_count;
  range.size =
      n > shard_index ? (n - shard_index + shard_count - 1) / shard_count : 0;
  return range;
}

// What the sweep's workers share.
struct SweepState {
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  bool write_json = false;  // set before the workers start
  runtime::Mutex mu;
  runtime::CondVar seed_done;  // signalled as each seed is added
  scenario::SweepSummary summary ABSL_GUARDED_BY(mu);
  std::ofstream* out_json ABSL_GUARDED_BY(mu) = nullptr;
};

void SweepWorker(const scenario::LoadedScenario& s, const SeedRange& seeds,
                 SweepState* st) {
  for (size_t k = st->next++; k < seeds.size && !st->stop; k = st->next++) {
    const uint64_t seed = seeds.seed(k);
    // Summarised and formatted before the lock: workers only wait for the
    // bookkeeping.
    const scenario::SeedResult result = scenario::SeedToResult(
        s, scenario::RunSimulated(s, seed, false), seed);
    const std::string json_line =
        st->write_json ? scenario::SeedToJsonLine(result) : "";
    runtime::MutexLock lock(&st->mu);
    const absl::Status added = st->summary.Add(result);
    SALUDO_CHECK(added.ok());  // one scenario, each seed once
    if (st->out_json != nullptr) *st->out_json << json_line << "\n";
    ++st->done;
    st->seed_done.Signal();
  }
}

// A progress line on stderr every 200 ms until every seed ran (returns 0 as
// soon as the last one is added), or a stop signal (returned).
int ShowProgress(size_t total, absl::Time start, SweepState* st) {
  const bool tty = isatty(fileno(stderr));
  int signal_number = 0;
  for (bool finished = false; !finished && signal_number == 0;) {
    size_t failed;
    {
      runtime::MutexLock lock(&st->mu);
      const absl::Time tick_end = absl::Now() + absl::Milliseconds(200);
      while (st->done < total && absl::Now() < tick_end) {
        st->seed_done.WaitWithTimeout(&st->mu, tick_end - absl::Now());
      }
      failed = st->summary.failed();
    }
    signal_number = runtime::live::TakeStopSignal();
    const size_t d = st->done;
    finished = d >= total;
    const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
    const double rate = elapsed > 0 ? d / elapsed : 0;
    std::fprintf(stderr,
                 "%sseeds %zu/%zu, %zu failing, %.1f seeds/s, ETA %.0fs%s",
                 tty ? "\r" : "", d, total, failed, rate,
                 rate > 0 ? (total - d) / rate : 0.0, tty ? "   " : "\n");
  }
  if (tty) std::fprintf(stderr, "\n");
  return signal_number;
}

// Writes --junit if given; false (and a message) if it cannot.
bool WriteJUnit(const scenario::SweepSummary& summary,
                absl::Duration elapsed) {
  const std::string path = absl::GetFlag(FLAGS_junit);
  if (path.empty() || WriteFile(path, summary.JUnit(elapsed))) return true;
  std::fprintf(stderr, "sim: cannot write %s\n", path.c_str());
  return false;
}

// Starts up to `jobs` workers; fewer if the system refuses threads.
std::vector<std::thread> StartWorkers(int jobs,
                                      const std::function<void()>& work) {
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j) {
    try {
      workers.emplace_back(work);
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "sim: could start only %d of %d threads: %s\n", j,
                   jobs, e.what());
      break;
    }
  }
  return workers;
}

int Sweep(const scenario::LoadedScenario& s) {
  const SeedRange seeds = SweepSeeds();
  int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 0 || jobs > 256) {
    runtime::live::UsageError("--jobs must be in [0, 256]");
  }
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  SweepState st;
  std::ofstream out_json;
  if (!absl::GetFlag(FLAGS_out_json).empty()) {
    out_json.open(UserPath(absl::GetFlag(FLAGS_out_json)), std::ios::trunc);
    if (!out_json) {
      std::fprintf(stderr, "sim: cannot write %s\n",
                   absl::GetFlag(FLAGS_out_json).c_str());
      return 1;
    }
    st.write_json = true;
    runtime::MutexLock lock(&st.mu);
    st.out_json = &out_json;
  }
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers =
      StartWorkers(jobs, [&] { SweepWorker(s, seeds, &st); });
  if (workers.empty()) return 1;
  const int stop_signal = ShowProgress(seeds.size, start, &st);
  st.stop = stop_signal != 0;
  for (auto& w : workers) w.join();
  const absl::Duration elapsed = absl::Now() - start;
  scenario::SweepSummary summary;  // the workers are done: take it
  {
    runtime::MutexLock lock(&st.mu);
    summary = std::move(st.summary);
  }
  const std::string headline = absl::StrFormat(
      "%s: %zu seeds in %s (%zu jobs): %zu passed, %zu failed%s", s.name,
      summary.seeds(),
      absl::FormatDuration(absl::Trunc(elapsed, absl::Milliseconds(10))),
      workers.size(), summary.seeds() - summary.failed(), summary.failed(),
      stop_signal != 0
          ? absl::StrCat(" (interrupted by signal ", stop_signal, " after ",
                         summary.seeds(), " of ", seeds.size, ")")
          : "");
  std::printf("%s\n%s", headline.c_str(), summary.Text().c_str());
  if (!WriteJUnit(summary, elapsed)) return 1;
  if (!WriteHtml([&] { return scenario::SweepToHtml(summary, headline); }))
    return 1;
  if (stop_signal != 0) return 128 + stop_signal;
  return summary.ok() ? 0 : 1;
}

// Reads shard outputs (--out_json files) into one summary: the report and
// exit code of the sweep that was sharded (its first line aside).
int Merge(const std::vector<std::string>& files) {
  scenario::SweepSummary summary;
  for (const std::string& path : files) {
    std::ifstream in(UserPath(path));
    if (!in) {
      std::fprintf(stderr, "sim: cannot read %s\n", path.c_str());
      return 2;
    }
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      scenario::SeedResult r;
      absl::Status st;
      if (!google::protobuf::util::JsonStringToMessage(line, &r).ok()) {
        st = absl::InvalidArgumentError(
            "expected one seed's JSON line, as --out_json writes them");
      }
      if (st.ok()) st = summary.Add(r);
      if (!st.ok()) {
        std::fprintf(stderr, "sim: %s:%d: %s\n", path.c_str(), n,
                     std::string(st.message()).c_str());
        return 2;
      }
    }
  }
  if (summary.seeds() == 0) {
    std::fprintf(stderr, "sim: no seeds in %s\n",
                 absl::StrJoin(files, ", ").c_str());
    return 2;
  }
  const std::string headline = absl::StrFormat(
      "%s: %zu seeds merged from %zu files: %zu passed, %zu failed",
      summary.scenario(), summary.seeds(), files.size(),
      summary.seeds() - summary.failed(), summary.failed());
  std::printf("%s\n%s", headline.c_str(), summary.Text().c_str());
  if (!WriteJUnit(summary, absl::ZeroDuration())) return 1;
  if (!WriteHtml([&] { return scenario::SweepToHtml(summary, headline); }))
    return 1;
  return summary.ok() ? 0 : 1;
}

// Where explore writes the scenario it made: --write_scenario, or
// ./NAME.explore.textproto for NAME.conf.
std::string ExploreOutput(const std::string& nginx_arg) {
  if (!absl::GetFlag(FLAGS_write_scenario).empty()) {
    return absl::GetFlag(FLAGS_write_scenario);
  }
  return std::filesystem::path(nginx_arg).stem().string() +
         ".explore.textproto";
}

// Makes a scenario from the nginx configuration, writes it (replay and
// shrink commands read it), and sweeps it.
int Explore(const std::string& nginx_arg) {
  scenario::ExploreOptions o;
  o.duration = absl::GetFlag(FLAGS_duration);
  o.concurrency = absl::GetFlag(FLAGS_concurrency);
  o.deadline = absl::GetFlag(FLAGS_deadline);
  o.attempts_at_most = absl::GetFlag(FLAGS_max_attempts);
  if (!absl::GetFlag(FLAGS_chaos).empty()) {
    o.chaos_path = UserPath(absl::GetFlag(FLAGS_chaos));
    absl::StatusOr<std::string> text =
        runtime::ReadInputFile(o.chaos_path, "fault space (--chaos)");
    if (!text.ok()) {
      std::fprintf(stderr, "sim: %s\n", std::string(text.status().message()).c_str());
      return 2;
    }
    o.chaos_text = *text;
  }
  absl::StatusOr<scenario::ExploredScenario> explored =
      scenario::ExploreScenario(UserPath(nginx_arg), o);
  if (!explored.ok()) {
    std::fprintf(stderr, "sim: %s\n",
                 std::string(explored.status().message()).c_str());
    return 2;
  }
  const std::string out = ExploreOutput(nginx_arg);
  RebaseNginxPath(explored->proto.topology().nginx_config(), out,
                  &explored->proto);
  std::string text;
  google::protobuf::TextFormat::PrintToString(explored->proto, &text);
  const std::string header = absl::StrCat(
      "# Made by `sim explore ", nginx_arg, "` (docs/EXPLORE.md): the "
      "topology, fault space and\n# properties derived from that nginx "
      "configuration. Replay a seed with\n#   bazel run //sim -- run ", out,
      " --seed=N\n");
  if (!WriteFile(out, header + text)) {
    std::fprintf(stderr, "sim: cannot write %s\n", out.c_str());
    return 1;
  }
  absl::StatusOr<scenario::LoadedScenario> s = scenario::LoadScenario(UserPath(out));
  if (!s.ok()) {
    std::fprintf(stderr, "sim: the scenario explore made does not load: %s\n",
                 std::string(s.status().message()).c_str());
    return 1;
  }
  s->path = out;
  std::printf("exploring %s: %zu backends, %zu fault kinds, %zu properties; "
              "scenario written to %s\n",
              nginx_arg.c_str(), s->backends.size(),
              s->chaos.faults.size() + s->chaos.partitions.size(),
              s->properties.size(), out.c_str());
  for (const std::string& note : explored->notes) {
    std::printf("note: %s\n", note.c_str());
  }
  return Sweep(*s);
}

int Check(const scenario::LoadedScenario& s, uint64_t seed) {
  absl::StatusOr<scenario::ScenarioRun> a =
      scenario::RunSimulated(s, seed, true);
  absl::StatusOr<scenario::ScenarioRun> b =
      scenario::RunSimulated(s, seed, true);
  if (!a.ok() || !b.ok()) {
    std::fprintf(stderr, "sim: %s\n",
                 (!a.ok() ? a.status() : b.status()).ToString().c_str());
    return 1;
  }
  const auto& la = a->observed.event_log;
  const auto& lb = b->observed.event_log;
  const int64_t i = sim::FirstDivergence(la, lb);
  if (i < 0 && a->observed.trace_hash == b->observed.trace_hash) {
    std::printf(
        "deterministic: %s, seed %llu, %zu events, trace hash %016llx\n",
        s.name.c_str(), static_cast<unsigned long long>(seed), la.size(),
        static_cast<unsigned long long>(a->observed.trace_hash));
    return 0;
  }
  const auto& names = a->observed.node_names;
  std::printf(
      "NOT deterministic: %s, seed %llu: first divergence at event %lld\n"
      "  run 1: %s\n  run 2: %s\n",
      s.name.c_str(), static_cast<unsigned long long>(seed),
      static_cast<long long>(i),
      i < static_cast<int64_t>(la.size())
          ? sim::FormatEvent(la[i], names).c_str()
          : "(end)",
      i < static_cast<int64_t>(lb.size())
          ? sim::FormatEvent(lb[i], names).c_str()
          : "(end)");
  return 1;
}

int ShrinkCommand(const scenario::LoadedScenario& original, uint64_t seed) {
  scenario::ShrinkOptions options;
  options.signature = absl::GetFlag(FLAGS_signature);
  options.min_duration = absl::GetFlag(FLAGS_min_duration);
  options.timing_slack = absl::GetFlag(FLAGS_timing_slack);
  if (options.min_duration < absl::ZeroDuration() ||
      options.min_duration > absl::Hours(24)) {
    runtime::live::UsageError("--min_duration must be in [0, 24h]");
  }
  if (options.timing_slack < absl::ZeroDuration() ||
      options.timing_slack > absl::Seconds(10)) {
    runtime::live::UsageError("--timing_slack must be in [0, 10s]");
  }
  absl::StatusOr<scenario::ShrinkResult> shrunk =
      scenario::Shrink(original, seed, options);
  if (!shrunk.ok()) {
    std::fprintf(stderr, "sim: %s\n",
                 std::string(shrunk.status().message()).c_str());
    return 1;
  }
  std::printf("keeping the failure: %s\n", shrunk->signature.c_str());
  if (shrunk->fragile) {
    std::printf(
        "warning: this failure does not hold once faults may land %s late "
        "(as they do live): shrunk with exact timing; a live run may not "
        "confirm it\n",
        absl::FormatDuration(options.timing_slack).c_str());
  }
  for (const std::string& step : shrunk->steps)
    std::printf("%s\n", step.c_str());
  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    out = original.path;
    const size_t dot = out.rfind(".textproto");
    out = (dot == std::string::npos ? out : out.substr(0, dot)) +
          ".shrunk.textproto";
  }
  RebaseNginxPath(original.nginx_path, out, &shrunk->proto);
  std::string text;
  google::protobuf::TextFormat::PrintToString(shrunk->proto, &text);
  const std::string header =
      absl::StrCat("# Shrunk from ", original.path, " (seed ", seed, ", ",
                   shrunk->steps.size(), " steps); it still fails with\n#   ",
                   shrunk->signature, "\n#   bazel run //sim -- run ", out,
                   " --seed=", seed, "\n");
  if (!WriteFile(out, header + text)) {
    std::fprintf(stderr, "sim: cannot write %s\n", out.c_str());
    return 1;
  }
  std::printf("wrote %s (%d faults, duration %s)\n", out.c_str(),
              shrunk->proto.faults_size(), shrunk->proto.duration().c_str());
  return 0;
}

// nginx's own verdict on the file the twin is about to model (`nginx -t`,
// its message naming the user's file:line), per --nginx_check.
absl::Status NginxAccepts(const std::string& nginx_path) {
  const std::string mode = absl::GetFlag(FLAGS_nginx_check);
  if (mode == "off" || nginx_path.empty()) return absl::OkStatus();
  nginx::NginxOptions options;
  options.config_path = nginx_path;
  if (absl::StatusOr<std::string> binary = nginx::FindNginx(options);
      !binary.ok()) {
    if (mode == "auto") return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("--nginx_check=on but ", binary.status().message()));
  }
  if (absl::Status valid = nginx::ValidateConfig(options); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(valid.message(),
                     "\n(the twin models only files nginx runs; "
                     "--nginx_check=off skips this check)"));
  }
  return absl::OkStatus();
}

}  // namespace

// Which command takes which flag: one table. A flag given to a command
// that does not take it is refused (it would silently do nothing).
struct CommandFlags {
  const char* command;
  std::vector<const char*> flags;
};
const std::vector<CommandFlags>& CommandTable() {
  static const auto* table = new std::vector<CommandFlags>{
      {"run",
       {"seed", "json", "calls", "trace", "html", "write_scenario",
        "max_duration", "nginx_check"}},
      {"sweep",
       {"seeds", "first_seed", "jobs", "shard_index", "shard_count", "out_json",
        "junit", "html", "max_duration", "nginx_check"}},
      {"explore",
       {"seeds", "first_seed", "jobs", "shard_index", "shard_count", "out_json",
        "junit", "html", "duration", "concurrency", "deadline", "max_attempts",
        "chaos", "write_scenario", "nginx_check"}},
      {"merge", {"junit", "html"}},
      {"check", {"seed", "max_duration", "nginx_check"}},
      {"shrink",
       {"seed", "out", "signature", "min_duration", "timing_slack",
        "max_duration", "nginx_check"}},
      {"live", {"seed", "max_duration", "html", "json", "private_network"}},
      {"compare", {"seed", "max_duration", "html", "json", "private_network"}},
  };
  return *table;
}

// Exits with usage (2) unless `command` exists and takes every flag given.
void CheckCommandFlags(const std::string& command) {
  const CommandFlags* entry = nullptr;
  std::set<std::string> all;
  for (const CommandFlags& c : CommandTable()) {
    if (command == c.command) entry = &c;
    all.insert(c.flags.begin(), c.flags.end());
  }
  if (entry == nullptr) {
    runtime::live::UsageError("unknown command '" + command + "'");
  }
  for (const std::string& name : all) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    // Given = not at its default (this Abseil keeps "specified" private).
    if (flag == nullptr || flag->CurrentValue() == flag->DefaultValue()) {
      continue;
    }
    const bool taken = std::find(entry->flags.begin(), entry->flags.end(),
                                 name) != entry->flags.end();
    if (!taken) {
      runtime::live::UsageError(
          absl::StrCat("--", name, " does nothing for '", command, "'"));
    }
  }
  const absl::Duration max = absl::GetFlag(FLAGS_max_duration);
  if (max <= absl::ZeroDuration()) {
    runtime::live::UsageError("--max_duration must be positive");
  }
  const std::string check = absl::GetFlag(FLAGS_nginx_check);
  if (check != "auto" && check != "on" && check != "off") {
    runtime::live::UsageError("--nginx_check takes auto, on or off, not '" +
                              check + "'");
  }
  if (!absl::GetFlag(FLAGS_write_scenario).empty() &&
      max != absl::InfiniteDuration()) {
    runtime::live::UsageError(
        "--write_scenario writes the whole scenario: drop --max_duration");
  }
}

int main(int argc, char** argv) {
  sim::KeepFreedMemory();
  std::vector<std::string> args = runtime::live::ParseFlagsOrExit(
      argc, argv, kUsage, /*max_positional=*/100000);
  if (args.empty()) runtime::live::UsageError("expected a command");
  const std::string& command = args[0];
  CheckCommandFlags(command);
  if (command == "merge") {
    if (args.size() < 2) {
      runtime::live::UsageError("merge: expected --out_json files");
    }
    return Merge({args.begin() + 1, args.end()});
  }
  if (args.size() != 2) {
    runtime::live::UsageError(
        "expected a command and a scenario file (explore: an nginx "
        "configuration)");
  }
  const bool runs_nginx = command == "live" || command == "compare";
  // Before any thread: the kernel gives a user namespace only to a process
  // with one thread.
  if (runs_nginx && absl::GetFlag(FLAGS_private_network)) {
    if (absl::Status st = runtime::live::EnterPrivateNetwork(); !st.ok()) {
      std::fprintf(stderr,
                   "sim: %s; running on the host's loopback, network faults "
                   "skipped\n",
                   std::string(st.message()).c_str());
    }
  }
  // Before any thread: sweep, explore, live and compare take SIGINT/SIGTERM
  // themselves, stop cleanly and print what was done.
  runtime::live::BlockStopSignals();
  if (command == "explore") {
    if (absl::Status st = NginxAccepts(UserPath(args[1])); !st.ok()) {
      std::fprintf(stderr, "sim: %s\n", std::string(st.message()).c_str());
      return 2;
    }
    return Explore(args[1]);
  }
  // live and compare start nginx, which checks the file first.
  absl::StatusOr<scenario::LoadedScenario> scenario = scenario::LoadScenario(
      UserPath(args[1]), runs_nginx ? nullptr : NginxAccepts);
  if (!scenario.ok()) {
    std::fprintf(stderr, "sim: %s\n",
                 std::string(scenario.status().message()).c_str());
    return 2;
  }
  scenario::TruncateScenario(&*scenario, absl::GetFlag(FLAGS_max_duration));
  const uint64_t seed = absl::GetFlag(FLAGS_seed) != 0
                            ? absl::GetFlag(FLAGS_seed)
                            : scenario->default_seed;
  if (command == "run") return Run(*scenario, seed);
  if (command == "sweep") return Sweep(*scenario);
  if (command == "check") return Check(*scenario, seed);
  if (command == "live") return Live(*scenario, argv[0], false, seed);
  if (command == "compare") return Live(*scenario, argv[0], true, seed);
  if (absl::GetFlag(FLAGS_seed) == 0) {
    runtime::live::UsageError("shrink needs --seed");
  }
  return ShrinkCommand(*scenario, seed);
}
