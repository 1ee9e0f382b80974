// Blocking helpers for programs and tests that drive the live stack: run a
// client burst, and set or clear a server's faults through its control service.
#ifndef SALUDO_STACK_LIVE_CALLS_H_
#define SALUDO_STACK_LIVE_CALLS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/load_client.h"
#include "proto/control.pb.h"

namespace saludo::stack {

// Runs the client's burst against `target` and waits for every call.
std::vector<client::CallRecord> RunLiveBurst(
    const std::string& target, const client::LoadOptions& options);

absl::StatusOr<control::FaultsReport> SetServerFaults(
    const std::string& target, const control::Faults& faults);
absl::StatusOr<control::FaultsReport> ClearServerFaults(
    const std::string& target);
// What the server reports: its faults, counters, and the calls it holds.
absl::StatusOr<control::FaultsReport> GetServerFaults(
    const std::string& target);

}  // namespace saludo::stack

#endif  // SALUDO_STACK_LIVE_CALLS_H_
