// Reading a file a user names (a scenario, an nginx configuration): regular
// files only, up to a size limit, and a reason in every error — a directory,
// a FIFO or device, a symlink loop, a missing file, no permission, too big.
// Never reads /dev/zero until memory runs out, never blocks on a FIFO.
#ifndef SALUDO_RUNTIME_INPUT_FILE_H_
#define SALUDO_RUNTIME_INPUT_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace saludo::runtime {

// The largest input file read by default.
inline constexpr int64_t kMaxInputFileBytes = 1 << 20;  // 1 MiB

// The content of `path`. `what` names it in errors ("scenario file",
// "nginx configuration"): "cannot read scenario file x.textproto: it is a
// directory". NOT_FOUND when it does not exist, INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> ReadInputFile(
    const std::string& path, const std::string& what,
    int64_t max_bytes = kMaxInputFileBytes);

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_INPUT_FILE_H_
