#include "scenario/live/attempt_log.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace saludo::scenario {
namespace {

// "1764378000.123" or "0.004" (seconds, three decimals) as a duration.
std::optional<absl::Duration> Millis(absl::string_view text) {
  const size_t dot = text.find('.');
  int64_t seconds = 0, millis = 0;
  if (dot == absl::string_view::npos || text.size() - dot != 4 ||
      !absl::SimpleAtoi(text.substr(0, dot), &seconds) ||
      !absl::SimpleAtoi(text.substr(dot + 1), &millis) || seconds < 0 ||
      millis < 0) {
    return std::nullopt;
  }
  return absl::Seconds(seconds) + absl::Milliseconds(millis);
}

// nginx's per-attempt lists: ", " between attempts, " : " between the
// upstream groups of an internal redirect.
std::vector<std::string> Attempts(absl::string_view list) {
  return absl::StrSplit(absl::StrReplaceAll(list, {{" : ", ", "}}), ", ");
}

}  // namespace

std::optional<sim::TwinLogEntry> ParseAttemptLogLine(
    absl::string_view line,
    const std::map<std::string, std::string>& scenario_of, absl::Time start) {
  const std::vector<absl::string_view> f = absl::StrSplit(line, '|');
  sim::TwinLogEntry e;
  const std::optional<absl::Duration> ended = Millis(f.size() == 6 ? f[0] : "");
  if (!ended.has_value() || !absl::SimpleAtoi(f[1], &e.status)) {
    return std::nullopt;
  }
  e.request_time = Millis(f[2]).value_or(absl::ZeroDuration());
  if (f[3] == "-") return e;  // nginx answered itself
  const std::vector<std::string> addrs = Attempts(f[3]);
  const std::vector<std::string> codes = Attempts(f[4]);
  const std::vector<std::string> times = Attempts(f[5]);
  if (codes.size() != addrs.size() || times.size() != addrs.size()) {
    return std::nullopt;
  }
  std::vector<absl::Duration> took(addrs.size());
  for (size_t i = 0; i < addrs.size(); ++i) {
    auto it = scenario_of.find(addrs[i]);
    e.upstream_addr.push_back(it == scenario_of.end() ? addrs[i] : it->second);
    int code = 0;
    (void)absl::SimpleAtoi(codes[i], &code);  // "-": 0
    e.upstream_status.push_back(code);
    took[i] = Millis(times[i]).value_or(absl::ZeroDuration());
  }
  e.attempt_at.resize(addrs.size());
  e.attempt_end.resize(addrs.size());
  absl::Duration end = absl::FromUnixSeconds(0) + *ended - start;
  for (size_t i = addrs.size(); i-- > 0;) {
    e.attempt_end[i] = end;
    e.attempt_at[i] = end - took[i];
    end = e.attempt_at[i];
  }
  return e;
}

}  // namespace saludo::scenario
