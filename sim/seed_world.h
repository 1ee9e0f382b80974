// The seed's topology in the simulator: server1 (127.0.0.1:3001) and server2
// (127.0.0.1:3002) behind the nginx twin running an nginx configuration
// (nginx/nginx.conf by default), and one client running a burst. Shared by the
// demo, the determinism checks and the benchmark.
#ifndef SALUDO_SIM_SEED_WORLD_H_
#define SALUDO_SIM_SEED_WORLD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/load_client.h"
#include "sim/trace.h"
#include "sim/world.h"

namespace saludo::sim {

struct SeedWorldOptions {
  std::string nginx_config;  // path; REQUIRED
  uint64_t seed = 1;
  bool keep_log = false;
  client::LoadOptions load;
  LinkModel link;  // every link
  // The seed's hung server: server1 hangs this long from t=0 (0 = no hang).
  absl::Duration server1_hang = absl::ZeroDuration();
};

struct SeedWorld {
  std::unique_ptr<World> world;
  NodeId server1, server2, balancer, client;
};

// Builds the world and schedules the burst at t=0 (does not run it). Fails
// if the nginx configuration does not load or names other backends.
absl::StatusOr<SeedWorld> BuildSeedWorld(const SeedWorldOptions& options);

// Runs `build` twice with the same seed and compares the event logs.
struct DeterminismReport {
  bool deterministic = true;
  uint64_t hash_first = 0, hash_second = 0;
  uint64_t events = 0;
  int64_t first_divergence = -1;          // event index, or -1
  std::string first_event, second_event;  // the events at that index
};
DeterminismReport CheckDeterminism(
    const std::function<std::unique_ptr<World>()>& build_and_run);

}  // namespace saludo::sim

#endif  // SALUDO_SIM_SEED_WORLD_H_
