#include "runtime/live/subprocess.h"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace saludo::runtime::live {
namespace {

std::unique_ptr<Subprocess> Start(std::vector<std::string> argv) {
  SpawnOptions options;
  options.argv = std::move(argv);
  absl::StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Spawn(options);
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

TEST(SubprocessTest, WaitReturnsTheExitStatusOnceTheChildExits) {
  std::unique_ptr<Subprocess> child = Start({"/bin/sh", "-c", "exit 3"});
  ASSERT_NE(child, nullptr);
  const std::optional<int> status = child->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_FALSE(child->Running());
  // Reaped already: the same status again, at once.
  EXPECT_EQ(child->Wait(absl::ZeroDuration()), status);
}

TEST(SubprocessTest, WaitGivesUpAtItsTimeoutAndStopEndsTheChild) {
  std::unique_ptr<Subprocess> child = Start({"/bin/sleep", "30"});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->Wait(absl::Milliseconds(20)), std::nullopt);
  EXPECT_EQ(child->Wait(absl::ZeroDuration()), std::nullopt);
  EXPECT_TRUE(child->Running());
  const int status = child->Stop(SIGTERM, absl::Seconds(10));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(child->Running());
}

TEST(RunCommandTest, CapturesOutputAndExitCode) {
  absl::StatusOr<CommandResult> result = RunCommand(
      {"/bin/sh", "-c", "echo out; echo err >&2; exit 4"}, absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 4);
  EXPECT_EQ(result->output, "out\nerr\n");
}

TEST(RunCommandTest, AnOverrunningCommandIsKilledAndReported) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sleep", "30"}, absl::Milliseconds(20));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(RunCommandTest, RunsAsTheGivenUserWhenRoot) {
  const passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody";
  absl::StatusOr<CommandResult> result =
      RunCommand({"/usr/bin/id", "-u"}, absl::Seconds(30), "nobody");
  ASSERT_TRUE(result.ok()) << result.status();
  if (geteuid() != 0) {
    // Not root: the command runs as this user.
    EXPECT_EQ(absl::StripAsciiWhitespace(result->output),
              absl::StrCat(geteuid()));
  } else if (result->exit_code == 124) {
    GTEST_SKIP() << "nobody is not mapped in this user namespace";
  } else {
    EXPECT_EQ(result->exit_code, 0);
    EXPECT_EQ(absl::StripAsciiWhitespace(result->output),
              absl::StrCat(nobody->pw_uid));
  }
}

}  // namespace
}  // namespace saludo::runtime::live
