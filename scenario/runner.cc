#include "scenario/runner.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "scenario/chaos.h"
#include "scenario/faults.h"
#include "scenario/loader.h"
#include "scenario/sim_target.h"

namespace saludo::scenario {
namespace {

// An operation the target could not apply becomes a note; any other error
// ends the run.
absl::Status Note(absl::Status st, const std::string& what,
                  std::vector<std::string>* notes) {
  if (st.code() != absl::StatusCode::kUnimplemented) return st;
  notes->push_back(absl::StrCat("skipped: ", what, " (", st.message(), ")"));
  return absl::OkStatus();
}

// Puts the network section and the faults on the target's timeline.
absl::Status Schedule(const LoadedScenario& s, Target& target,
                      std::vector<std::string>* notes) {
  absl::Status st = s.has_link_model
                        ? Note(target.SetLinks(s),
                               "network latency, loss and duplication", notes)
                        : target.SetLinks(s);
  for (const auto& p : s.partitions) {
    if (!st.ok()) break;
    st = Note(target.Partition(p.a, p.b, p.start, p.duration, p.one_way),
              absl::StrCat(p.one_way ? "one-way partition " : "partition ", p.a,
                           " / ", p.b, " at ", absl::FormatDuration(p.start)),
              notes);
  }
  for (const ScenarioFault& f : s.faults) {
    if (!st.ok()) break;
    st = Note(FaultKindOf(f.kind).apply(f, target), f.Describe(), notes);
  }
  return st;
}

}  // namespace

bool ScenarioRun::ok() const {
  for (const Verdict& v : verdicts) {
    if (!v.holds && !v.skipped) return false;
  }
  return true;
}

std::vector<Verdict> CheckRun(const LoadedScenario& s, const ScenarioRun& run,
                              const Target& target) {
  const CheckInput in{s, run.observed, run.label, run.seed};
  return CheckProperties(in, target.evidence(), [&](uint32_t missing) {
    return target.WhyMissing(missing);
  });
}

absl::StatusOr<ScenarioRun> RunScenario(const LoadedScenario& s, Target& target,
                                        uint64_t seed) {
  ScenarioRun run;
  run.seed = seed;
  run.label = target.label();
  if (absl::Status st = target.Build(s); !st.ok()) return st;
  std::vector<std::string> notes;
  if (absl::Status st = Schedule(s, target, &notes); !st.ok()) return st;
  absl::StatusOr<Observations> observed =
      target.Run(s.LastCallEnd() + absl::Seconds(1));
  if (!observed.ok()) return observed.status();
  run.observed = *std::move(observed);
  run.observed.notes.insert(run.observed.notes.begin(), notes.begin(),
                            notes.end());
  for (const auto& c : s.clients) {
    const int64_t calls = std::count_if(
        run.observed.calls.begin(), run.observed.calls.end(),
        [&](const ScenarioCall& call) { return call.client == c.name; });
    if (c.load.max_calls > 0 && calls >= c.load.max_calls) {
      run.observed.notes.push_back(absl::StrCat(
          "client ", c.name, " stopped at the limit of ", c.load.max_calls,
          " calls: a closed loop over links that can take no time at all"));
    }
  }
  run.windows = FaultWindows(s);
  run.verdicts = CheckRun(s, run, target);
  return run;
}

absl::StatusOr<ScenarioRun> RunDrawn(const LoadedScenario& s, Target& target,
                                     uint64_t seed) {
  if (s.chaos.empty()) return RunScenario(s, target, seed);
  // The drawn timeline, loaded like any file (so `--write_scenario` writes
  // exactly what runs), cut as `s` was cut (TruncateScenario).
  DrawnTimeline drawn = DrawChaos(s, seed);
  std::string text;
  google::protobuf::TextFormat::PrintToString(drawn.proto, &text);
  absl::StatusOr<LoadedScenario> fixed = LoadScenarioText(text, s.path);
  if (!fixed.ok()) {
    return absl::InternalError(absl::StrCat(
        "the timeline seed ", seed, " drew does not load (a bug): ",
        fixed.status().message()));
  }
  TruncateScenario(&*fixed, s.duration);
  absl::StatusOr<ScenarioRun> run = RunScenario(*fixed, target, seed);
  if (run.ok()) {
    run->drawn = std::move(drawn.what);
  }
  return run;
}

absl::StatusOr<ScenarioRun> RunSimulated(const LoadedScenario& s, uint64_t seed,
                                         bool keep_log) {
  SimulatedTarget target(seed, keep_log);
  return RunDrawn(s, target, seed);
}

std::vector<std::string> FailureSignatures(const ScenarioRun& run) {
  std::vector<std::string> signatures;
  for (const Verdict& v : run.verdicts) {
    if (v.holds || v.skipped) continue;
    std::set<std::string> kinds;
    // Clock faults count only for properties that read the servers' clocks.
    const bool clocks = (PropertyKindOf(v.kind).needs & kServerClocks) != 0;
    for (const FaultWindow& w : run.windows) {
      if (w.health == Health::kUnaffected && !clocks) continue;
      if (v.first_at && w.start <= *v.first_at && *v.first_at < w.end) {
        kinds.insert(w.kind);
      }
    }
    const std::string context =
        !v.first_at       ? "no time"
        : kinds.empty()   ? "no fault"
                          : absl::StrJoin(kinds, ", ");
    signatures.push_back(absl::StrCat(
        v.property, v.cause.empty() ? "" : " (" + v.cause + ")", " [", context,
        "]"));
  }
  std::sort(signatures.begin(), signatures.end());
  return signatures;
}

}  // namespace saludo::scenario
