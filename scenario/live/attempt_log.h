// nginx's attempt log (nginx::kAttemptLogFormat) read back as the balancer
// log a scenario's properties check, with when each attempt ran.
#ifndef SALUDO_SCENARIO_LIVE_ATTEMPT_LOG_H_
#define SALUDO_SCENARIO_LIVE_ATTEMPT_LOG_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sim/nginx_twin.h"

namespace saludo::scenario {

// How precisely attempt times read from the log are known: each comes from
// two millisecond readings ($msec and a response time).
inline constexpr absl::Duration kAttemptLogResolution = absl::Milliseconds(3);

// One line, or nullopt if it is not in the format. Attempts ran one after the
// other and the last ended when the request did ($msec), so each attempt's
// start and end are found walking back from $msec by the response times;
// they are relative to `start`. Live addresses are mapped by `scenario_of`
// (live "HOST:PORT" -> the scenario's), others kept.
std::optional<sim::TwinLogEntry> ParseAttemptLogLine(
    absl::string_view line,
    const std::map<std::string, std::string>& scenario_of, absl::Time start);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_LIVE_ATTEMPT_LOG_H_
