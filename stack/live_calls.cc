#include "stack/live_calls.h"

#include <utility>

#include "runtime/live/grpc_channel.h"
#include "runtime/live/system_clock.h"
#include "runtime/sync.h"
#include "runtime/typed_rpc.h"
#include "services/control_service.h"

namespace saludo::stack {
namespace {

template <class Request>
absl::StatusOr<control::FaultsReport> CallControl(const std::string& target,
                                                  const char* method,
                                                  const Request& request) {
  runtime::live::GrpcChannel channel(target);
  runtime::CallOptions options;
  options.timeout = absl::Seconds(5);
  runtime::Notification done;
  absl::StatusOr<control::FaultsReport> result;
  runtime::CallUnary<control::FaultsReport>(
      channel, method, request, options,
      [&](absl::Status status, control::FaultsReport report) {
        if (status.ok()) {
          result = std::move(report);
        } else {
          result = std::move(status);
        }
        done.Notify();
      });
  done.WaitForNotification();
  return result;
}

}  // namespace

std::vector<client::CallRecord> RunLiveBurst(
    const std::string& target, const client::LoadOptions& options) {
  runtime::live::SystemClock clock;
  runtime::live::GrpcChannel channel(target);
  client::LoadClient load(&clock, &channel, options);
  runtime::Notification done;
  std::vector<client::CallRecord> records;
  load.Start([&](std::vector<client::CallRecord> all) {
    records = std::move(all);
    done.Notify();
  });
  done.WaitForNotification();
  return records;
}

absl::StatusOr<control::FaultsReport> SetServerFaults(
    const std::string& target, const control::Faults& faults) {
  control::SetFaultsRequest request;
  *request.mutable_faults() = faults;
  return CallControl(target, services::kSetFaultsMethod, request);
}

absl::StatusOr<control::FaultsReport> ClearServerFaults(
    const std::string& target) {
  return CallControl(target, services::kClearFaultsMethod, control::Empty());
}

absl::StatusOr<control::FaultsReport> GetServerFaults(
    const std::string& target) {
  return CallControl(target, services::kGetFaultsMethod, control::Empty());
}

}  // namespace saludo::stack
