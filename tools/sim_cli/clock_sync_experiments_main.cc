// Prints the clock-synchronisation experiments of docs/CLOCK_SYNC.md: the
// simulator knows the true offsets, so each estimate's real error can be
// compared with the bound it claims.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "runtime/live/cli.h"
#include "sim/clock_sync_experiment.h"

namespace {

using namespace saludo::sim;

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%+.3f ms", absl::ToDoubleMilliseconds(d));
}

void SymmetricJitter() {
  std::printf(
      "1. Symmetric jittery latency (uniform 0.2-3 ms each way), offsets +250 "
      "ms, "
      "-100 ms, +5 s, drift +50/-20/0 ppm; 8 samples, minimum delay; 20 "
      "seeds\n");
  std::printf("   %-8s %-10s %14s %14s %14s\n", "server", "method",
              "max |error|", "max bound", "violations");
  SyncCase c = SymmetricJitterCase();
  std::vector<absl::Duration> ntp_err(3), ntp_bound(3), cr_err(3), cr_bound(3);
  std::vector<int> ntp_bad(3), cr_bad(3);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    c.seed = seed;
    std::vector<SyncEstimate> es = RunSyncCase(c);
    for (size_t i = 0; i < es.size(); ++i) {
      ntp_err[i] = std::max(ntp_err[i], absl::AbsDuration(es[i].ntp_error()));
      ntp_bound[i] = std::max(ntp_bound[i], es[i].ntp.error_bound);
      ntp_bad[i] +=
          absl::AbsDuration(es[i].ntp_error()) > es[i].ntp.error_bound;
      cr_err[i] =
          std::max(cr_err[i], absl::AbsDuration(es[i].cristian_error()));
      cr_bound[i] = std::max(cr_bound[i], es[i].cristian.error_bound);
      cr_bad[i] += absl::AbsDuration(es[i].cristian_error()) >
                   es[i].cristian.error_bound;
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    std::printf("   %-8zu %-10s %14s %14s %14d\n", i + 1, "ntp",
                Ms(ntp_err[i]).c_str(), Ms(ntp_bound[i]).c_str(), ntp_bad[i]);
    std::printf("   %-8zu %-10s %14s %14s %14d\n", i + 1, "cristian",
                Ms(cr_err[i]).c_str(), Ms(cr_bound[i]).c_str(), cr_bad[i]);
  }
}

void AsymmetricLatency() {
  std::printf(
      "\n2. Asymmetric latency (fixed): the error is half the asymmetry\n");
  std::printf("   %-12s %-12s %14s %14s\n", "to server", "to client",
              "ntp error", "bound");
  for (auto [there, back] : std::vector<std::pair<int, int>>{
           {1, 1}, {2, 1}, {5, 1}, {1, 5}, {20, 2}}) {
    SyncCase a;
    a.to_server = Distribution::Fixed(absl::Milliseconds(there));
    a.to_client = Distribution::Fixed(absl::Milliseconds(back));
    a.server_offsets = {absl::Milliseconds(40)};
    SyncEstimate e = RunSyncCase(a)[0];
    std::printf("   %-12s %-12s %14s %14s\n",
                absl::StrFormat("%d ms", there).c_str(),
                absl::StrFormat("%d ms", back).c_str(),
                Ms(e.ntp_error()).c_str(), Ms(e.ntp.error_bound).c_str());
  }
}

void DriftBetweenSyncs() {
  std::printf(
      "\n3. Drift between syncs: error of an estimate taken at t=0, later\n");
  std::printf("   %-10s %12s %12s %12s %12s\n", "drift", "10 s", "60 s",
              "300 s", "3600 s");
  for (double ppm : {10.0, 100.0, 500.0}) {
    std::vector<absl::Duration> e =
        StaleEstimateErrors(ppm, {absl::Seconds(10), absl::Seconds(60),
                                  absl::Seconds(300), absl::Seconds(3600)});
    std::printf("   %-10s %12s %12s %12s %12s\n",
                absl::StrFormat("%g ppm", ppm).c_str(), Ms(e[0]).c_str(),
                Ms(e[1]).c_str(), Ms(e[2]).c_str(), Ms(e[3]).c_str());
  }
}

void BerkeleyRounds() {
  std::printf(
      "\n4. Berkeley rounds: spread of the servers' clocks before each round "
      "and at "
      "the end\n   (offsets +300 ms, -200 ms, +50 ms, +5 s outlier; jitter "
      "0.2-0.6 ms)\n");
  for (bool step : {false, true}) {
    BerkeleyCase b;
    b.server_offsets = {absl::Milliseconds(300), -absl::Milliseconds(200),
                        absl::Milliseconds(50), absl::Seconds(5)};
    b.allow_step = step;
    b.interval = step ? absl::Seconds(10) : absl::Seconds(400);
    BerkeleyOutcome o = RunBerkeleyCase(b);
    std::printf("   %-28s", step ? "stepping, rounds 10 s apart"
                                 : "slewing, rounds 400 s apart");
    for (absl::Duration d : o.spread) std::printf(" %12s", Ms(d).c_str());
    std::printf("   went backward: %s\n", o.went_backward ? "yes" : "no");
  }
}

}  // namespace

int main(int argc, char** argv) {
  saludo::runtime::live::ParseFlagsOrExit(
      argc, argv,
      "Clock-sync experiments in the simulator.\nusage: "
      "clock_sync_experiments");
  SymmetricJitter();
  AsymmetricLatency();
  DriftBetweenSyncs();
  BerkeleyRounds();
  return 0;
}
