#include "runtime/input_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace saludo::runtime {
namespace {

std::string Dir() { return ::testing::TempDir(); }

void ExpectError(const std::string& path, absl::StatusCode code,
                 const std::string& why) {
  absl::StatusOr<std::string> r = ReadInputFile(path, "scenario file", 1000);
  ASSERT_FALSE(r.ok()) << path;
  EXPECT_EQ(r.status().code(), code) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "scenario file " + path))
      << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), why)) << r.status();
}

TEST(InputFileTest, ReadsARegularFile) {
  const std::string path = Dir() + "/ok.txt";
  std::ofstream(path) << "hello";
  EXPECT_EQ(*ReadInputFile(path, "scenario file", 1000), "hello");
}

TEST(InputFileTest, EveryBadKindOfPathHasAReason) {
  ExpectError(Dir() + "/missing.txt", absl::StatusCode::kNotFound,
              "No such file");
  ExpectError(Dir(), absl::StatusCode::kInvalidArgument, "is a directory");
  ExpectError("/dev/zero", absl::StatusCode::kInvalidArgument,
              "not a regular file");
  const std::string fifo = Dir() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ExpectError(fifo, absl::StatusCode::kInvalidArgument, "not a regular file");
  const std::string loop = Dir() + "/loop";
  ASSERT_EQ(symlink(loop.c_str(), loop.c_str()), 0);
  ExpectError(loop, absl::StatusCode::kInvalidArgument,
              "a loop of symbolic links");
  const std::string big = Dir() + "/big.txt";
  std::ofstream(big) << std::string(1001, 'x');
  ExpectError(big, absl::StatusCode::kInvalidArgument,
              "it is 1001 bytes; the limit is 1000");
}

}  // namespace
}  // namespace saludo::runtime
