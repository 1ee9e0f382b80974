// Command-line handling shared by every binary: bad flags and stray
// arguments get a message, the usage text, and exit code 2.
#ifndef SALUDO_RUNTIME_LIVE_CLI_H_
#define SALUDO_RUNTIME_LIVE_CLI_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace saludo::runtime::live {

// Parses Abseil flags. An unknown flag or (unless `max_positional` allows it)
// a positional argument prints "<program>: <problem>" and `usage` to stderr
// and exits 2. Returns the positional arguments (without argv[0]).
std::vector<std::string> ParseFlagsOrExit(int argc, char** argv,
                                          const char* usage,
                                          int max_positional = 0);

// A path the user typed, as they meant it: relative to the directory they
// ran `bazel run` from (BUILD_WORKING_DIRECTORY; bazel run changes
// directory), or to the current one when not under bazel run.
std::string UserPath(const std::string& path);

// Prints "<program>: <message>" and the usage text, and exits 2.
[[noreturn]] void UsageError(const std::string& message);

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts
// afterwards, so WaitForStopSignal can take them. Call before any thread.
void BlockStopSignals();

// Waits for SIGINT or SIGTERM and returns it; every `tick`, calls
// `keep_waiting` (if given) and returns 0 when it says false.
// REQUIRES: BlockStopSignals() was called.
int WaitForStopSignal(absl::Duration tick = absl::InfiniteDuration(),
                      const std::function<bool()>& keep_waiting = nullptr);

// Takes a pending SIGINT or SIGTERM and returns it; 0 if none is pending.
// Never waits.
// REQUIRES: BlockStopSignals() was called.
int TakeStopSignal();

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_CLI_H_
