// libFuzzer entry: bazel build --config=fuzz //fuzz:nginx_config_fuzzer
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  saludo::fuzz::NginxConfig(data, size);
  return 0;
}
