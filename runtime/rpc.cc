#include "runtime/rpc.h"

#include "absl/strings/match.h"

namespace saludo::runtime {

bool IsLoopbackPeer(const std::string& peer) {
  return absl::StartsWith(peer, "ipv4:127.") ||
         absl::StartsWith(peer, "ipv6:[::1]") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") ||
         absl::StartsWith(peer, "unix:") || absl::StartsWith(peer, "sim:");
}

}  // namespace saludo::runtime
