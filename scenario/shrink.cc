#include "scenario/shrink.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "scenario/chaos.h"
#include "scenario/loader.h"
#include "scenario/runner.h"

namespace saludo::scenario {
namespace {

// True if `proto` (validated as if it were at `path`) still fails for `seed`.
bool StillFails(const Scenario& proto, const std::string& path, uint64_t seed) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(proto, &text);
  absl::StatusOr<LoadedScenario> s = LoadScenarioText(text, path);
  if (!s.ok()) return false;
  absl::StatusOr<ScenarioRun> run = RunSimulated(*s, seed, false);
  return run.ok() && !run->ok();
}

std::string HalveDuration(const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) return text;
  return absl::FormatDuration(absl::Trunc(d / 2, absl::Milliseconds(1)));
}

// One candidate step: changes `candidate` and says what it did, or returns
// an empty string when it has nothing to change.
using Step = std::function<std::string(Scenario* candidate)>;

std::vector<Step> StepsFor(const Scenario& current) {
  std::vector<Step> steps;
  for (int i = 0; i < current.faults_size(); ++i) {
    steps.push_back([i](Scenario* c) {
      c->mutable_faults()->DeleteSubrange(i, 1);
      return absl::StrCat("dropped fault ", i);
    });
  }
  for (int i = 0;
       current.properties_size() > 1 && i < current.properties_size(); ++i) {
    steps.push_back([i](Scenario* c) {
      c->mutable_properties()->DeleteSubrange(i, 1);
      return absl::StrCat("dropped property ", i);
    });
  }
  steps.push_back([](Scenario* c) -> std::string {
    const std::string before = c->duration();
    c->set_duration(HalveDuration(before));
    for (auto& client : *c->mutable_topology()->mutable_clients()) {
      client.mutable_load()->set_duration(
          HalveDuration(client.load().duration()));
    }
    return c->duration() == before ? ""
                                   : "halved the duration to " + c->duration();
  });
  steps.push_back([](Scenario* c) -> std::string {
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
  });
  return steps;
}

}  // namespace

absl::StatusOr<ShrinkResult> Shrink(const LoadedScenario& original,
                                    uint64_t seed) {
  absl::StatusOr<ScenarioRun> first = RunSimulated(original, seed, false);
  if (!first.ok()) return first.status();
  if (first->ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("seed ", seed, " does not fail: nothing to shrink"));
  }
  ShrinkResult result;
  // A chaos section is shrunk as the timeline this seed drew.
  result.proto = DrawChaos(original, seed).proto;
  // Take the first step that keeps the failure, then start over; stop when
  // no step does.
  for (bool progress = true; progress;) {
    progress = false;
    for (const Step& step : StepsFor(result.proto)) {
      Scenario candidate = result.proto;
      const std::string what = step(&candidate);
      if (what.empty() || !StillFails(candidate, original.path, seed)) continue;
      result.proto = std::move(candidate);
      result.steps.push_back(what);
      progress = true;
      break;
    }
  }
  return result;
}

}  // namespace saludo::scenario
