#include "runtime/rpc.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"

namespace saludo::runtime {

namespace {
constexpr char kStreamResetPayload[] = "type.saludo/stream-reset";
}  // namespace

absl::Status StreamResetStatus() {
  absl::Status status = absl::CancelledError("stream reset by the server");
  status.SetPayload(kStreamResetPayload, absl::Cord("1"));
  return status;
}

bool IsStreamReset(const absl::Status& status) {
  return status.GetPayload(kStreamResetPayload).has_value();
}

bool IsLoopbackPeer(const std::string& peer) {
  return absl::StartsWith(peer, "ipv4:127.") ||
         absl::StartsWith(peer, "ipv6:[::1]") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") ||
         absl::StartsWith(peer, "unix:") || absl::StartsWith(peer, "sim:");
}

}  // namespace saludo::runtime
