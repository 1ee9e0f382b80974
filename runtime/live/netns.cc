#include "runtime/live/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"

namespace saludo::runtime::live {
namespace {

std::atomic<bool> in_private_network{false};
// EnterPrivateNetwork's error; written before any other thread runs.
std::string* why_not = nullptr;

absl::Status WriteFile(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  }
  const ssize_t n = write(fd, text.data(), text.size());
  const int saved = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", strerror(saved)));
  }
  return absl::OkStatus();
}

// Inside a new user namespace: this user and group are root there.
absl::Status MapToRoot(uid_t uid, gid_t gid) {
  // setgroups must be denied before an unprivileged gid_map is written.
  (void)WriteFile("/proc/self/setgroups", "deny");
  if (absl::Status st =
          WriteFile("/proc/self/uid_map", absl::StrCat("0 ", uid, " 1\n"));
      !st.ok()) {
    return st;
  }
  return WriteFile("/proc/self/gid_map", absl::StrCat("0 ", gid, " 1\n"));
}

absl::Status LoopbackUp() {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("socket: ", strerror(errno)));
  }
  struct ifreq request;
  memset(&request, 0, sizeof request);
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(fd, SIOCGIFFLAGS, &request);
  if (rc == 0) {
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(fd, SIOCSIFFLAGS, &request);
  }
  const int saved = errno;
  close(fd);
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot bring loopback up: ", strerror(saved)));
  }
  return absl::OkStatus();
}

absl::Status TryEnter() {
  if (in_private_network) {
    return absl::FailedPreconditionError("already in a private network");
  }
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  // As root a plain network namespace keeps every user (nginx's workers run
  // as nobody); a container's root may still be refused one.
  bool entered = uid == 0 && unshare(CLONE_NEWNET) == 0;
  if (!entered) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
      const int saved = errno;
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create a private network namespace (unshare: ",
          strerror(saved),
          saved == EINVAL ? "; the process already has threads"
                          : "; are unprivileged user namespaces disabled? "
                            "see /proc/sys/kernel/unprivileged_userns_clone "
                            "and /proc/sys/user/max_user_namespaces",
          ")"));
    }
    if (absl::Status st = MapToRoot(uid, gid); !st.ok()) return st;
  }
  if (absl::Status st = LoopbackUp(); !st.ok()) return st;
  in_private_network = true;
  return absl::OkStatus();
}

}  // namespace

absl::Status EnterPrivateNetwork() {
  absl::Status st = TryEnter();
  if (!st.ok()) why_not = new std::string(st.message());
  return st;
}

bool InPrivateNetwork() { return in_private_network; }

absl::Status PrivateNetworkStatus() {
  if (in_private_network) return absl::OkStatus();
  return absl::FailedPreconditionError(
      why_not != nullptr ? *why_not
                         : "this program runs in the host's network "
                           "namespace");
}

}  // namespace saludo::runtime::live
