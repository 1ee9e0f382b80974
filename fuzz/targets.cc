#include "fuzz/targets.h"

#include <string>

#include "nginx/config/parser.h"
#include "nginx/config/twin_config.h"
#include "proto/service.pb.h"
#include "runtime/check.h"
#include "runtime/testing/fakes.h"
#include "services/clock_service.h"
#include "services/control_service.h"
#include "services/fault_state.h"
#include "services/saludo_service.h"
#include "scenario/loader.h"

namespace saludo::fuzz {

void NginxConfig(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Includes resolve under a directory that does not exist: no file is read.
  auto top = nginx::ParseConfigText(text, "fuzz.conf", "/nonexistent-fuzz-dir");
  if (!top.ok()) {
    SALUDO_CHECK(!top.status().message().empty());
    return;
  }
  auto config = nginx::BuildTwinConfig(*top, "fuzz.conf");
  if (!config.ok()) SALUDO_CHECK(!config.status().message().empty());
}

void Scenario(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto s = scenario::LoadScenarioText(text, "/nonexistent-fuzz-dir/fuzz.textproto");
  if (!s.ok()) SALUDO_CHECK(!s.status().message().empty());
}

void SaludoRequest(const uint8_t* data, size_t size) {
  runtime::testing::ManualClock clock;
  services::FaultState faults(&clock, 1);
  services::SaludoService saludo(1, &clock, &clock, &faults, nullptr);
  services::ClockService clock_service(1, &clock);
  services::ControlService control(1, &faults);
  runtime::testing::DirectRegistry registry;
  saludo.RegisterWith(registry);
  clock_service.RegisterWith(registry);
  control.RegisterWith(registry);
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // The first byte picks the method, the rest is the request.
  static const char* kMethods[] = {
      services::kSaludarMethod, services::kClockReadMethod,
      services::kSetFaultsMethod, services::kGetFaultsMethod,
      services::kClearFaultsMethod};
  const char* method = size == 0 ? kMethods[0] : kMethods[data[0] % 5];
  int answered = 0;
  registry.Call(
      method, size == 0 ? "" : bytes.substr(1),
      [&](absl::Status status, std::string reply) {
        ++answered;
        if (status.ok() && method == std::string(services::kSaludarMethod)) {
          saludoRes res;
          SALUDO_CHECK(res.ParseFromString(reply));
        }
      });
  // Hangs and delays set by a fuzzed SetFaults apply to later calls; run a
  // saludar after it and let every timer fire.
  registry.Call(services::kSaludarMethod, "",
                [&](absl::Status, std::string) { ++answered; });
  clock.Advance(services::kMaxFaultDuration * 2);
  SALUDO_CHECK(answered == 2);
}

}  // namespace saludo::fuzz
