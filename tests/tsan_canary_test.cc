// Proves the TSan gate can fail: tests/tsan_canary_main.cc races on purpose in
// a server handler and in a client completion callback, and both races must be
// reported with the suppressions CI uses (runtime/live/tsan.supp, compiled
// into the canary as into every binary of the live runtime). Skipped unless
// built with --config=tsan.
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "runtime/live/tsan_annotations.h"

namespace saludo {
namespace {

TEST(TsanCanaryTest, RacesInOurCallbacksAreReported) {
#ifndef SALUDO_TSAN
  GTEST_SKIP() << "not built with ThreadSanitizer (--config=tsan)";
#else
  FILE* pipe = popen(
      "TSAN_OPTIONS=halt_on_error=0:exitcode=0 tests/tsan_canary 2>&1", "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("canary done"), std::string::npos) << output;
  EXPECT_NE(output.find("RacyHandlerWrite"), std::string::npos)
      << "a race in a server handler was not reported:\n"
      << output;
  EXPECT_NE(output.find("RacyCompletionWrite"), std::string::npos)
      << "a race in a completion callback was not reported:\n"
      << output;
#endif
}

}  // namespace
}  // namespace saludo
