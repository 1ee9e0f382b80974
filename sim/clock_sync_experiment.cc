#include "sim/clock_sync_experiment.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "client/berkeley.h"
#include "runtime/check.h"
#include "sim/world.h"

namespace saludo::sim {
namespace {

absl::Duration Spread(World& world, const std::vector<NodeId>& servers) {
  std::vector<absl::Time> readings;
  for (NodeId s : servers) readings.push_back(world.server_clock(s)->Now());
  auto [lo, hi] = std::minmax_element(readings.begin(), readings.end());
  return *hi - *lo;
}

}  // namespace

SyncCase SymmetricJitterCase() {
  SyncCase c;
  c.to_server =
      Distribution::Uniform(absl::Microseconds(200), absl::Milliseconds(3));
  c.to_client = c.to_server;
  c.server_offsets = {absl::Milliseconds(250), -absl::Milliseconds(100),
                      absl::Seconds(5)};
  c.server_drift_ppm = {50, -20, 0};
  return c;
}

std::vector<SyncEstimate> RunSyncCase(const SyncCase& c) {
  World world(c.seed);
  const NodeId client = world.AddClient("client");
  std::vector<NodeId> servers;
  for (size_t i = 0; i < c.server_offsets.size(); ++i) {
    servers.push_back(world.AddServer(absl::StrCat("server", i + 1), i + 1));
    LinkModel there, back;
    there.latency = c.to_server;
    back.latency = c.to_client;
    world.network().SetLink(client, servers.back(), there);
    world.network().SetLink(servers.back(), client, back);
    world.ClockOffsetAt(servers.back(), absl::ZeroDuration(),
                        c.server_offsets[i]);
    if (i < c.server_drift_ppm.size()) {
      world.DriftAt(servers.back(), absl::ZeroDuration(),
                    static_cast<int64_t>(c.server_drift_ppm[i] * 1000));
    }
  }
  std::vector<std::unique_ptr<runtime::Channel>> channels;
  std::vector<std::unique_ptr<client::ClockSampler>> samplers;
  std::vector<SyncEstimate> out(servers.size());
  NodeClock& clock = world.network().node(client).clock();
  for (size_t i = 0; i < servers.size(); ++i) {
    channels.push_back(world.network().Channel(client, servers[i]));
    samplers.push_back(std::make_unique<client::ClockSampler>(
        &clock, channels.back().get(), &clock));
    world.sim().At(absl::Milliseconds(1), [&, i] {
      samplers[i]->Sample(
          c.samples, c.spacing, absl::Seconds(1),
          [&, i](absl::StatusOr<std::vector<client::ClockSample>> samples) {
            SALUDO_CHECK(samples.ok());
            SyncEstimate& e = out[i];
            e.server_id = static_cast<int>(i + 1);
            e.ntp = client::MinimumDelayEstimate(*samples,
                                                 client::SyncMethod::kNtp);
            e.cristian = client::MinimumDelayEstimate(
                *samples, client::SyncMethod::kCristian);
            e.true_offset = world.server_clock(servers[i])->Now() - clock.Now();
          });
    });
  }
  world.Run();
  return out;
}

std::vector<absl::Duration> StaleEstimateErrors(
    double drift_ppm, const std::vector<absl::Duration>& horizons) {
  SyncCase c;
  c.server_offsets = {absl::Milliseconds(100)};
  c.server_drift_ppm = {drift_ppm};
  // The estimate at t ~ 0, then the truth later: the truth moves at the
  // drift rate, the estimate does not.
  std::vector<SyncEstimate> e = RunSyncCase(c);
  std::vector<absl::Duration> errors;
  for (absl::Duration h : horizons) {
    // True offset at h: initial offset plus drift * h (drift starts at 0).
    const absl::Duration truth =
        absl::Milliseconds(100) +
        absl::Nanoseconds(static_cast<int64_t>(absl::ToDoubleNanoseconds(h) *
                                               drift_ppm / 1e6));
    errors.push_back(e[0].ntp.offset - truth);
  }
  return errors;
}

BerkeleyOutcome RunBerkeleyCase(const BerkeleyCase& c) {
  World world(c.seed);
  LinkModel link;
  link.latency = c.latency;
  world.network().SetDefaultLink(link);
  const NodeId coordinator = world.AddClient("coordinator");
  std::vector<NodeId> servers;
  for (size_t i = 0; i < c.server_offsets.size(); ++i) {
    servers.push_back(world.AddServer(absl::StrCat("server", i + 1), i + 1));
    world.ClockOffsetAt(servers.back(), absl::ZeroDuration(),
                        c.server_offsets[i]);
  }
  std::vector<std::unique_ptr<runtime::Channel>> channels;
  std::vector<runtime::Channel*> raw;
  for (NodeId s : servers) {
    channels.push_back(world.network().Channel(coordinator, s));
    raw.push_back(channels.back().get());
  }
  NodeClock& clock = world.network().node(coordinator).clock();
  client::BerkeleyOptions options;
  options.allow_step = c.allow_step;
  options.outlier_threshold = c.outlier_threshold;
  client::BerkeleyCoordinator berkeley(&clock, &clock, raw, options);
  BerkeleyOutcome out;
  for (int r = 0; r < c.rounds; ++r) {
    world.sim().At(absl::Milliseconds(1) + c.interval * r, [&] {
      out.spread.push_back(Spread(world, servers));
      berkeley.RunRound([](absl::StatusOr<client::BerkeleyRound> round) {
        SALUDO_CHECK(round.ok());
      });
    });
  }
  // Watch every server's clock for backward steps, every 100 ms.
  std::vector<absl::Time> last(servers.size(), absl::InfinitePast());
  const absl::Duration end = c.interval * c.rounds;
  for (absl::Duration t = absl::ZeroDuration(); t <= end;
       t += absl::Milliseconds(100)) {
    world.sim().At(t, [&] {
      for (size_t i = 0; i < servers.size(); ++i) {
        const absl::Time now = world.server_clock(servers[i])->Now();
        if (now < last[i]) out.went_backward = true;
        last[i] = now;
      }
    });
  }
  world.Run(end);
  out.spread.push_back(Spread(world, servers));
  return out;
}

}  // namespace saludo::sim
