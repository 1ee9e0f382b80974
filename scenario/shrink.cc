#include "scenario/shrink.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "google/protobuf/text_format.h"
#include "scenario/chaos.h"
#include "scenario/faults.h"
#include "scenario/loader.h"
#include "scenario/runner.h"
#include "scenario/sim_target.h"

namespace saludo::scenario {
namespace {

// True if `proto` (validated as if it were at `path`) still fails for `seed`
// with `signature`, also when its faults land up to `slack` late.
bool StillFails(const Scenario& proto, const std::string& path, uint64_t seed,
                const std::string& signature, absl::Duration slack) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(proto, &text);
  absl::StatusOr<LoadedScenario> s = LoadScenarioText(text, path);
  if (!s.ok()) return false;
  absl::StatusOr<ScenarioRun> run = RunSimulated(*s, seed, false);
  if (!run.ok()) return false;
  run->observed.timing_slack = slack;
  run->verdicts = CheckRun(*s, *run, SimulatedTarget(seed, false));
  if (run->ok()) return false;
  const std::vector<std::string> now = FailureSignatures(*run);
  return std::find(now.begin(), now.end(), signature) != now.end();
}

std::string HalveDuration(const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) return text;
  return absl::FormatDuration(absl::Trunc(d / 2, absl::Milliseconds(1)));
}

// Moves every fault and partition earlier by `fraction` of the first one's
// time, so that halving the duration can keep them.
std::string Earlier(double fraction, Scenario* c) {
  absl::Duration first = absl::InfiniteDuration(), t;
  for (const Fault& f : c->faults()) {
    if (absl::ParseDuration(f.at(), &t)) first = std::min(first, t);
  }
  for (const Partition& p : c->network().partitions()) {
    if (absl::ParseDuration(p.start(), &t)) first = std::min(first, t);
  }
  const absl::Duration by =
      absl::Trunc(first * fraction, absl::Milliseconds(1));
  if (first == absl::InfiniteDuration() || by <= absl::ZeroDuration()) {
    return "";
  }
  auto earlier = [&](std::string* text) {
    if (absl::ParseDuration(*text, &t)) *text = absl::FormatDuration(t - by);
  };
  for (Fault& f : *c->mutable_faults()) earlier(f.mutable_at());
  for (Partition& p : *c->mutable_network()->mutable_partitions()) {
    earlier(p.mutable_start());
  }
  return "moved every fault " + absl::FormatDuration(by) + " earlier";
}

// One candidate step: changes `candidate` and says what it did, or returns
// an empty string when it has nothing to change.
using Step = std::function<std::string(Scenario* candidate)>;

// Ends the run at `end` (the loads too) and drops the faults and partitions
// that would start after it. Says what it did; "" if the run is not longer.
std::string CutAt(absl::Duration end, Scenario* c) {
  absl::Duration d, t;
  if (!absl::ParseDuration(c->duration(), &d) || end >= d) return "";
  const std::string text = absl::FormatDuration(end);
  c->set_duration(text);
  for (auto& client : *c->mutable_topology()->mutable_clients()) {
    if (absl::ParseDuration(client.load().duration(), &t) && t > end) {
      client.mutable_load()->set_duration(text);
    }
  }
  auto* faults = c->mutable_faults();
  for (int i = faults->size() - 1; i >= 0; --i) {
    if (absl::ParseDuration(faults->Get(i).at(), &t) && t > end) {
      faults->DeleteSubrange(i, 1);
    }
  }
  auto* cuts = c->mutable_network()->mutable_partitions();
  for (int i = cuts->size() - 1; i >= 0; --i) {
    if (absl::ParseDuration(cuts->Get(i).start(), &t) && t > end) {
      cuts->DeleteSubrange(i, 1);
    }
  }
  return "cut the run at " + text;
}

std::string HalveRunStep(absl::Duration min, Scenario* c) {
  absl::Duration d;
  if (!absl::ParseDuration(c->duration(), &d) || d / 2 < min) return "";
  return CutAt(absl::Trunc(d / 2, absl::Milliseconds(1)), c);
}

// Where nothing later can matter to the kept failure: a second past its
// first offending call's deadline (whole seconds), or infinite.
absl::Duration PastFirstFailure(const LoadedScenario& s, const ScenarioRun& run,
                                const std::string& signature) {
  absl::Duration deadline = absl::ZeroDuration();
  for (const auto& c : s.clients) {
    deadline = std::max(deadline, c.start + c.load.deadline);
  }
  for (const Verdict& v : run.verdicts) {
    if (v.holds || v.skipped || !v.first_at ||
        !absl::StartsWith(signature, v.property)) {
      continue;
    }
    return absl::Ceil(*v.first_at + deadline + absl::Seconds(1),
                      absl::Seconds(1));
  }
  return absl::InfiniteDuration();
}

std::string HalveLoadStep(Scenario* c) {
  bool changed = false;
  for (auto& client : *c->mutable_topology()->mutable_clients()) {
    Load* load = client.mutable_load();
    if (load->has_open_loop() && load->open_loop().calls_per_second() > 1) {
      load->mutable_open_loop()->set_calls_per_second(
          std::max(1.0, load->open_loop().calls_per_second() / 2));
      changed = true;
    } else if (load->has_closed_loop() &&
               load->closed_loop().concurrency() > 1) {
      load->mutable_closed_loop()->set_concurrency(
          load->closed_loop().concurrency() / 2);
      changed = true;
    }
  }
  return changed ? "halved the load" : "";
}

// Fewest faults first, then shorter ones, then a shorter, lighter run.
std::vector<Step> StepsFor(const Scenario& current,
                           const ShrinkOptions& options) {
  std::vector<Step> steps;
  for (int i = 0; i < current.faults_size(); ++i) {
    steps.push_back([i](Scenario* c) {
      c->mutable_faults()->DeleteSubrange(i, 1);
      return absl::StrCat("dropped fault ", i);
    });
  }
  for (int i = 0; i < current.network().partitions_size(); ++i) {
    steps.push_back([i](Scenario* c) {
      c->mutable_network()->mutable_partitions()->DeleteSubrange(i, 1);
      return absl::StrCat("dropped partition ", i);
    });
  }
  for (int i = 0;
       current.properties_size() > 1 && i < current.properties_size(); ++i) {
    steps.push_back([i](Scenario* c) {
      c->mutable_properties()->DeleteSubrange(i, 1);
      return absl::StrCat("dropped property ", i);
    });
  }
  steps.push_back([](Scenario* c) { return Earlier(1, c); });
  steps.push_back([](Scenario* c) { return Earlier(0.5, c); });
  for (int i = 0; i < current.faults_size(); ++i) {
    Fault copy = current.faults(i);
    if (MutableDurationField(&copy) == nullptr) continue;
    steps.push_back([i](Scenario* c) -> std::string {
      std::string* d = MutableDurationField(c->mutable_faults(i));
      const std::string before = *d;
      *d = HalveDuration(before);
      return *d == before ? "" : absl::StrCat("halved fault ", i, " to ", *d);
    });
  }
  steps.push_back([min = options.min_duration](Scenario* c) {
    return HalveRunStep(min, c);
  });
  steps.push_back(HalveLoadStep);
  return steps;
}

}  // namespace

absl::StatusOr<ShrinkResult> Shrink(const LoadedScenario& original,
                                    uint64_t seed,
                                    const ShrinkOptions& options) {
  absl::StatusOr<ScenarioRun> first = RunSimulated(original, seed, false);
  if (!first.ok()) return first.status();
  if (first->ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("seed ", seed, " does not fail: nothing to shrink"));
  }
  ShrinkResult result;
  const std::vector<std::string> signatures = FailureSignatures(*first);
  for (const std::string& candidate : signatures) {
    if (absl::StrContains(candidate, options.signature)) {
      result.signature = candidate;
      break;
    }
  }
  if (result.signature.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "seed ", seed, " fails with no signature containing \"",
        options.signature,
        "\"; it fails with: ", absl::StrJoin(signatures, "; ")));
  }
  // A chaos section is shrunk as the timeline this seed drew; first cut
  // just past the failure (later events cannot change what came before).
  result.proto = DrawChaos(original, seed).proto;
  absl::Duration slack = options.timing_slack;
  if (!StillFails(result.proto, original.path, seed, result.signature,
                  slack)) {
    result.fragile = true;
    slack = absl::ZeroDuration();
  }
  Scenario cut = result.proto;
  const std::string what = CutAt(
      std::max(options.min_duration,
               PastFirstFailure(original, *first, result.signature)),
      &cut);
  if (!what.empty() &&
      StillFails(cut, original.path, seed, result.signature, slack)) {
    result.proto = std::move(cut);
    result.steps.push_back(what);
  }
  // Take the first step that keeps the failure, then start over; stop when
  // no step does.
  for (bool progress = true; progress;) {
    progress = false;
    for (const Step& step : StepsFor(result.proto, options)) {
      Scenario candidate = result.proto;
      const std::string what = step(&candidate);
      if (what.empty() || !StillFails(candidate, original.path, seed,
                                      result.signature, slack)) {
        continue;
      }
      result.proto = std::move(candidate);
      result.steps.push_back(what);
      progress = true;
      break;
    }
  }
  return result;
}

}  // namespace saludo::scenario
