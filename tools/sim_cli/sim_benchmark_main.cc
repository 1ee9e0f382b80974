// Simulated calls per wall-second on one core: client -> server and back with
// real serialization and the real service and client code, tracing off (hash
// only) and on (full event log); and the memory held per in-flight call.
#include <malloc.h>

#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "sim/seed_world.h"
#include "sim/world.h"
#include "tools/cpp/runfiles/runfiles.h"
#include "tools/sim_cli/keep_freed_memory.h"

namespace saludo::sim {

const char* program_name = "";

namespace {

std::string NginxConf() {
  std::string error;
  std::unique_ptr<bazel::tools::cpp::runfiles::Runfiles> r(
      bazel::tools::cpp::runfiles::Runfiles::Create(std::string(program_name),
                                                    &error));
  return r == nullptr ? "nginx/nginx.conf"
                      : r->Rlocation("saludo_sim/nginx/nginx.conf");
}

void BM_DirectCalls(benchmark::State& state) {
  const bool keep_log = state.range(0) != 0;
  const int64_t calls = 100000;
  for (auto _ : state) {
    World world(1, keep_log);
    NodeId server = world.AddServer("server1", 1);
    NodeId client = world.AddClient("client");
    client::LoadOptions load;
    load.requests = calls;
    load.concurrency = 16;
    world.StartLoad(client, server, load);
    world.Run();
    benchmark::DoNotOptimize(world.trace_hash());
  }
  state.SetItemsProcessed(state.iterations() * calls);
  state.SetLabel(keep_log ? "client->server, tracing on"
                          : "client->server, tracing off (hash only)");
}
BENCHMARK(BM_DirectCalls)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_SeedTopologyCalls(benchmark::State& state) {
  const bool keep_log = state.range(0) != 0;
  const int64_t calls = 100000;
  // Once, not timed: finding the runfiles reads their manifest.
  SeedWorldOptions o;
  o.keep_log = keep_log;
  o.nginx_config = NginxConf();
  o.load.requests = calls;
  o.load.concurrency = 16;
  for (auto _ : state) {
    absl::StatusOr<SeedWorld> built = BuildSeedWorld(o);
    if (!built.ok()) {  // e.g. run outside the repository, without runfiles
      state.SkipWithError(std::string(built.status().message()).c_str());
      break;
    }
    SeedWorld& w = *built;
    w.world->Run();
    benchmark::DoNotOptimize(w.world->trace_hash());
  }
  state.SetItemsProcessed(state.iterations() * calls);
  state.SetLabel(keep_log ? "client->nginx twin->2 servers, tracing on"
                          : "client->nginx twin->2 servers, tracing off");
}
BENCHMARK(BM_SeedTopologyCalls)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Bytes the allocator has handed out: from its heap and, for large blocks,
// mmapped (a large vector counts either way, whatever the allocator's
// threshold for mmap is at the time, which depends on what ran before).
size_t BytesInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Bytes of heap per call held in flight by a hung server.
void BM_MemoryPerInFlightCall(benchmark::State& state) {
  const int64_t calls = 20000;
  double bytes_per_call = 0;
  for (auto _ : state) {
    World world(1);
    NodeId server = world.AddServer("server1", 1);
    NodeId client = world.AddClient("client");
    world.HangAt(server, absl::ZeroDuration(), absl::Hours(1));
    const size_t before = BytesInUse();
    client::LoadOptions load;
    load.requests = calls;
    load.concurrency = calls;
    load.deadline = absl::Hours(2);
    world.StartLoad(client, server, load);
    world.Run(absl::Seconds(1));  // every call is now held by the server
    const size_t after = BytesInUse();
    bytes_per_call = static_cast<double>(after - before) / calls;
    benchmark::DoNotOptimize(world.trace_hash());
  }
  state.counters["bytes_per_in_flight_call"] = bytes_per_call;
}
BENCHMARK(BM_MemoryPerInFlightCall)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace saludo::sim

int main(int argc, char** argv) {
  // Worlds are built and dropped in memory kept for them, as in `sim`.
  saludo::sim::KeepFreedMemory();
  saludo::sim::program_name = argv[0];
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
