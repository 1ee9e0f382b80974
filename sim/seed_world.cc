#include "sim/seed_world.h"

#include "runtime/check.h"

namespace saludo::sim {

absl::StatusOr<SeedWorld> BuildSeedWorld(const SeedWorldOptions& options) {
  absl::StatusOr<nginx::TwinConfig> config =
      nginx::LoadTwinConfig(options.nginx_config);
  if (!config.ok()) return config.status();
  SeedWorld w;
  w.world = std::make_unique<World>(options.seed, options.keep_log);
  World& world = *w.world;
  world.network().SetDefaultLink(options.link);
  w.server1 = world.AddServer("server1", 1);
  w.server2 = world.AddServer("server2", 2);
  absl::StatusOr<NodeId> nginx = world.AddNginxTwin(
      "nginx", *std::move(config),
      {{"127.0.0.1:3001", w.server1}, {"127.0.0.1:3002", w.server2}});
  if (!nginx.ok()) return nginx.status();
  w.balancer = *nginx;
  w.client = world.AddClient("client");
  if (options.server1_hang > absl::ZeroDuration()) {
    world.HangAt(w.server1, absl::ZeroDuration(), options.server1_hang);
  }
  world.StartLoad(w.client, w.balancer, options.load);
  return w;
}

DeterminismReport CheckDeterminism(
    const std::function<std::unique_ptr<World>()>& build_and_run) {
  std::unique_ptr<World> first = build_and_run();
  std::unique_ptr<World> second = build_and_run();
  SALUDO_CHECK(first->sim().trace().keeps_log());
  SALUDO_CHECK(second->sim().trace().keeps_log());
  DeterminismReport report;
  report.hash_first = first->trace_hash();
  report.hash_second = second->trace_hash();
  report.events = first->sim().trace().events();
  const auto& a = first->sim().trace().log();
  const auto& b = second->sim().trace().log();
  report.first_divergence = FirstDivergence(a, b);
  report.deterministic =
      report.first_divergence < 0 && report.hash_first == report.hash_second;
  if (report.first_divergence >= 0) {
    const size_t i = static_cast<size_t>(report.first_divergence);
    report.first_event = i < a.size()
                             ? FormatEvent(a[i], first->sim().node_names())
                             : "(end of log)";
    report.second_event = i < b.size()
                              ? FormatEvent(b[i], second->sim().node_names())
                              : "(end of log)";
  }
  return report;
}

}  // namespace saludo::sim
