#include "runtime/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace saludo::runtime {

absl::StatusOr<std::string> ReadInputFile(const std::string& path,
                                          const std::string& what,
                                          int64_t max_bytes) {
  const std::string cannot = absl::StrCat("cannot read ", what, " ", path, ": ");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const std::string why = errno == ELOOP ? "a loop of symbolic links"
                                           : std::strerror(errno);
    return errno == ENOENT ? absl::NotFoundError(cannot + why)
                           : absl::InvalidArgumentError(cannot + why);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(cannot + "it is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        cannot + "not a regular file (a FIFO, device or socket)");
  }
  if (st.st_size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        cannot, "it is ", st.st_size, " bytes; the limit is ", max_bytes));
  }
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return absl::InvalidArgumentError(cannot + std::strerror(errno));
  std::string text;
  char buffer[65536];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (static_cast<int64_t>(text.size()) > max_bytes) {
      close(fd);
      return absl::InvalidArgumentError(absl::StrCat(
          cannot, "it grew past the limit of ", max_bytes, " bytes"));
    }
  }
  close(fd);
  return text;
}

}  // namespace saludo::runtime
