#include "fuzz/targets.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "nginx/config/parser.h"
#include "nginx/config/twin_config.h"
#include "proto/service.pb.h"
#include "runtime/check.h"
#include "runtime/testing/fakes.h"
#include "services/clock_discipline.h"
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

namespace {

// A scratch tree where a scenario's "../../nginx/nginx.conf" is a small
// valid configuration (servers 127.0.0.1:3001 and :3002), so fuzzed
// scenarios get past the topology into clients, network, faults and
// properties. Removed when the process exits.
std::string* scratch_dir = nullptr;

void RemoveScratch() {
  std::error_code ec;
  if (scratch_dir != nullptr) std::filesystem::remove_all(*scratch_dir, ec);
}

std::string ScenarioPath() {
  if (scratch_dir == nullptr) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string tmpl = std::string(tmp != nullptr ? tmp : "/tmp") +
                       "/saludo-fuzz-XXXXXX";
    SALUDO_CHECK(mkdtemp(tmpl.data()) != nullptr);
    scratch_dir = new std::string(tmpl);
    std::filesystem::create_directories(tmpl + "/nginx");
    std::filesystem::create_directories(tmpl + "/a/b");
    std::ofstream(tmpl + "/nginx/nginx.conf")
        << "events {}\nhttp {\n upstream u { server 127.0.0.1:3001 "
           "max_fails=2 fail_timeout=10s; server 127.0.0.1:3002; }\n"
           " server { listen 127.0.0.1:3005 http2;\n"
           "  location /Saludo/ { grpc_pass grpc://u; } }\n}\n";
    std::atexit(RemoveScratch);
  }
  return *scratch_dir + "/a/b/fuzz.textproto";
}

}  // namespace

void Scenario(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto s = scenario::LoadScenarioText(text, ScenarioPath());
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

void ControlRequest(const uint8_t* data, size_t size) {
  runtime::testing::ManualClock clock;
  services::FaultState faults(&clock, 1);
  services::ClockDiscipline discipline(&clock);
  services::SaludoService saludo(1, &discipline, &clock, &faults, nullptr);
  services::ControlService control(1, &faults, &discipline);
  runtime::testing::DirectRegistry registry;
  saludo.RegisterWith(registry);
  control.RegisterWith(registry);
  static const char* kMethods[] = {
      services::kSetFaultsMethod, services::kGetFaultsMethod,
      services::kClearFaultsMethod, services::kAdjustClockMethod};
  const char* method = size == 0 ? kMethods[0] : kMethods[data[0] % 4];
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // A call held before, so ClearFaults and hangs have something to act on.
  int answered = 0;
  registry.Call(services::kSaludarMethod, "",
                [&](absl::Status, std::string) { ++answered; });
  registry.Call(method, size == 0 ? "" : bytes.substr(1),
                [&](absl::Status, std::string) { ++answered; });
  // Whatever was accepted stays within its bounds.
  const absl::Duration drift = discipline.Now() - clock.Now();
  SALUDO_CHECK(absl::AbsDuration(drift) <=
               services::kMaxClockCorrection + absl::Hours(24 * 366));
  clock.Advance(services::kMaxFaultDuration * 2);
  SALUDO_CHECK(answered == 2);
  SALUDO_CHECK(faults.Report().calls_held() == 0);
}

}  // namespace saludo::fuzz
