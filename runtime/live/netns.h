// A private network namespace for the live stack: the process (and every
// child it starts afterwards: servers, nginx, nft) gets its own loopback, so
// packet-filter rules and ports never touch the host's. The namespace ends
// with the last process in it; nothing is left to clean up.
#ifndef SALUDO_RUNTIME_LIVE_NETNS_H_
#define SALUDO_RUNTIME_LIVE_NETNS_H_

#include "absl/status/status.h"

namespace saludo::runtime::live {

// Moves this process into a new network namespace with loopback up. As root,
// a plain network namespace; otherwise (or where root may not create one, as
// in a container) a user namespace mapping this user to root inside, plus a
// network namespace. FAILED_PRECONDITION saying why when the kernel or its
// settings refuse (e.g. unprivileged user namespaces disabled).
// REQUIRES: no other thread has been started (the kernel refuses a user
// namespace to a threaded process). At most once per process.
absl::Status EnterPrivateNetwork();

// Whether EnterPrivateNetwork succeeded in this process.
bool InPrivateNetwork();

// OK in a private network; else why not: EnterPrivateNetwork's error, or that
// it was not called.
absl::Status PrivateNetworkStatus();

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_NETNS_H_
