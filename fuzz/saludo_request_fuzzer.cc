// libFuzzer entry: bazel build --config=fuzz //fuzz:saludo_request_fuzzer
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  saludo::fuzz::SaludoRequest(data, size);
  return 0;
}
