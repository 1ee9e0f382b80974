// libFuzzer entry: bazel build --config=fuzz //fuzz:scenario_fuzzer
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  saludo::fuzz::Scenario(data, size);
  return 0;
}
