// libFuzzer entry: bazel build --config=fuzz //fuzz:control_request_fuzzer
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  saludo::fuzz::ControlRequest(data, size);
  return 0;
}
