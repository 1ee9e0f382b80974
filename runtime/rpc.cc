#include "runtime/rpc.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"

namespace saludo::runtime {

namespace {
constexpr char kProcessCrashPayload[] = "type.saludo/process-crash";
}  // namespace

absl::Status ProcessCrashStatus() {
  absl::Status status = absl::AbortedError("crash on purpose");
  status.SetPayload(kProcessCrashPayload, absl::Cord("1"));
  return status;
}

bool IsProcessCrash(const absl::Status& status) {
  return status.GetPayload(kProcessCrashPayload).has_value();
}

bool IsLoopbackPeer(const std::string& peer) {
  return absl::StartsWith(peer, "ipv4:127.") ||
         absl::StartsWith(peer, "ipv6:[::1]") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") ||
         absl::StartsWith(peer, "unix:") || absl::StartsWith(peer, "sim:");
}

}  // namespace saludo::runtime
