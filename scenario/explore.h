// `sim explore NGINX_CONF`: a scenario made from a user's own nginx
// configuration, with no scenario file to write. One backend node per
// `server` of every upstream a `grpc_pass` uses (addresses as written), the
// nginx twin running the file, a closed-loop client, a default fault space
// (or the user's), and properties derived from the file's own settings:
// deadlines, availability (availability.h), attempts per call, the circuit
// breaker per max_fails/fail_timeout, a latency bound from the timeouts and
// tries, and balanced shares from the weights before any fault. The result
// is an ordinary scenario: the CLI writes it, sweeps it, and the replay and
// shrink commands it prints read that file. docs/EXPLORE.md.
#ifndef SALUDO_SCENARIO_EXPLORE_H_
#define SALUDO_SCENARIO_EXPLORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/scenario.pb.h"

namespace saludo::scenario {

struct ExploreOptions {
  absl::Duration duration = absl::Seconds(60);  // (0, 1h]
  int concurrency = 4;                          // [1, 1000]
  absl::Duration deadline = absl::Seconds(5);   // (0, 1h]
  int attempts_at_most = 2;                     // [1, 100]
  // A `Chaos` message in text format (docs/CHAOS.md); empty: the default
  // fault space (DefaultExploreChaos).
  std::string chaos_text;
  std::string chaos_path;  // where chaos_text came from, for errors
};

// The default fault space, in text format, for `backends` backends: every
// fault kind that makes a backend fail a call (crash, crash while answering,
// hang, pause, slow replies, error bursts, latency spikes, partitions) plus
// clock jumps, never more than max(1, backends - 1) down at once, starting
// after a fault-free first sixth of the run.
std::string DefaultExploreChaos(int backends, absl::Duration duration);

struct ExploredScenario {
  Scenario proto;  // topology.nginx_config is `nginx_path`, absolute
  // What the reader should know: the properties left out and why.
  std::vector<std::string> notes;
};

// The scenario for the configuration at `nginx_path`. INVALID_ARGUMENT with
// file:line for a configuration the twin cannot load, or one with no
// location that passes to gRPC; for options out of range; for a chaos text
// that does not parse (with its line).
absl::StatusOr<ExploredScenario> ExploreScenario(const std::string& nginx_path,
                                                 const ExploreOptions& options);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_EXPLORE_H_
