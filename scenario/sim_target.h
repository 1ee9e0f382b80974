// The simulator as a scenario target: a World for one seed (sim/world.h)
// with the Saludo servers, the nginx twin running the scenario's nginx file,
// and the clients. Every operation is applied; every kind of evidence is
// recorded; the run has a trace hash.
#ifndef SALUDO_SCENARIO_SIM_TARGET_H_
#define SALUDO_SCENARIO_SIM_TARGET_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "scenario/target.h"
#include "sim/world.h"

namespace saludo::scenario {

class SimulatedTarget final : public Target {
 public:
  SimulatedTarget(uint64_t seed, bool keep_log);
  ~SimulatedTarget() override;

  std::string label() const override;
  uint32_t evidence() const override;
  std::string WhyMissing(uint32_t missing) const override;
  absl::Status Build(const LoadedScenario& scenario) override;
  absl::Status SetLinks(const LoadedScenario& scenario) override;
  absl::Status Partition(const std::string& a, const std::string& b,
                         absl::Duration at, absl::Duration duration,
                         bool one_way) override;
  absl::Status Crash(const std::string& node, absl::Duration at) override;
  absl::Status Restart(const std::string& node, absl::Duration at) override;
  absl::Status Pause(const std::string& node, absl::Duration at,
                     absl::Duration duration) override;
  absl::Status Hang(const std::string& node, absl::Duration at,
                    absl::Duration duration) override;
  absl::Status Slow(const std::string& node, absl::Duration at,
                    absl::Duration delay) override;
  absl::Status Errors(const std::string& node, absl::Duration at,
                      absl::StatusCode code, double rate) override;
  absl::Status ClearFaults(const std::string& node, absl::Duration at) override;
  absl::Status ClockOffset(const std::string& node, absl::Duration at,
                           absl::Duration offset) override;
  absl::Status ClockDrift(const std::string& node, absl::Duration at,
                          int64_t drift_ppb) override;
  absl::Status ClockJump(const std::string& node, absl::Duration at,
                         absl::Duration delta) override;
  absl::Status CrashOnCall(const std::string& node, absl::Duration at) override;
  absl::Status ChangeLink(const std::string& a, const std::string& b,
                          absl::Duration at, absl::Duration duration,
                          const LinkChange& change, bool one_way) override;
  // Moves the calls' records and the balancer's log out of the world into
  // the observations. REQUIRES: called once, after Build.
  absl::StatusOr<Observations> Run(absl::Duration until) override;

  // The world (for tests and tools that look inside). REQUIRES: Build ran.
  sim::World& world() { return *world_; }

 private:
  sim::NodeId Node(const std::string& name) const { return nodes_.at(name); }

  const uint64_t seed_;
  std::unique_ptr<sim::World> world_;
  const LoadedScenario* scenario_ = nullptr;
  std::map<std::string, sim::NodeId> nodes_;
  sim::NodeId nginx_ = -1;
};

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_SIM_TARGET_H_
