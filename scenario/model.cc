#include "scenario/model.h"

#include <algorithm>

namespace saludo::scenario {

absl::Duration LoadedScenario::LastCallEnd() const {
  absl::Duration end = duration;
  absl::Duration longest_deadline = absl::ZeroDuration();
  for (const Client& c : clients) {
    end = std::max(end, c.start + c.load.duration);
    longest_deadline = std::max(longest_deadline, c.load.deadline);
  }
  return end + longest_deadline;
}

void TruncateScenario(LoadedScenario* s, absl::Duration limit) {
  if (s->duration <= limit) return;
  s->duration = limit;
  for (auto& c : s->clients) {
    c.load.duration = std::max(absl::ZeroDuration(),
                               std::min(c.load.duration, limit - c.start));
  }
  std::vector<ScenarioFault> kept;
  for (const ScenarioFault& f : s->faults) {
    if (f.at <= limit) kept.push_back(f);
  }
  s->faults = std::move(kept);
  for (auto& p : s->properties) p.until = std::min(p.until, limit);
}

}  // namespace saludo::scenario
