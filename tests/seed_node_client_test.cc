// The seed's Node.js client stack (@grpc/grpc-js, proto-loader with default
// options) against our C++ servers, directly and through nginx.
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/live/subprocess.h"
#include "stack/live_stack.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace saludo {
namespace {

using bazel::tools::cpp::runfiles::Runfiles;

class SeedNodeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    runfiles_.reset(Runfiles::CreateForTest(&error));
    ASSERT_NE(runfiles_, nullptr) << error;
    script_ = runfiles_->Rlocation("saludo_sim/tests/node/seed_client.mjs");
    proto_ = runfiles_->Rlocation("saludo_sim/proto/service.proto");
    auto files = stack::FindStackFiles("");
    ASSERT_TRUE(files.ok()) << files.status();
    auto live = stack::LiveStack::Start(stack::FreePortOptions(*files));
    ASSERT_TRUE(live.ok()) << live.status();
    live_ = std::move(*live);
  }

  // Runs the Node.js client once against `target`.
  runtime::live::CommandResult RunNodeClient(const std::string& target) {
    // node resolves packages from the script's real path: tests/node in the
    // source tree, where ./bazelw installs them.
    auto result = runtime::live::RunCommand(
        {"/usr/bin/node", script_, proto_, target}, absl::Seconds(30));
    EXPECT_TRUE(result.ok()) << result.status();
    if (result.ok() &&
        absl::StrContains(result->output, "ERR_MODULE_NOT_FOUND")) {
      ADD_FAILURE() << "npm packages missing: run ./bazelw (it installs them "
                       "into tests/node)\n"
                    << result->output;
    }
    return result.ok() ? *result : runtime::live::CommandResult{};
  }

  std::unique_ptr<Runfiles> runfiles_;
  std::string script_, proto_;
  std::unique_ptr<stack::LiveStack> live_;
};

TEST_F(SeedNodeClientTest, RepliesAlternateThroughNginx) {
  for (int call = 0; call < 4; ++call) {
    runtime::live::CommandResult r = RunNodeClient(live_->nginx_target());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(absl::StrContains(
        r.output, absl::StrCat("Respuesta:  Hola, Nombre de testeo, te saluda "
                               "el servidor ",
                               call % 2 == 0 ? 1 : 2)))
        << "call " << call << ": " << r.output;
  }
}

TEST_F(SeedNodeClientTest, DirectToServer) {
  runtime::live::CommandResult r = RunNodeClient(live_->server_target(2));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(
      r.output, "Respuesta:  Hola, Nombre de testeo, te saluda el servidor 2"))
      << r.output;
}

TEST_F(SeedNodeClientTest, NginxErrorIsAProperGrpcStatusForNode) {
  // Both servers down: nginx answers itself. With nginx.conf the Node.js
  // client gets UNAVAILABLE (14) with our message, not a garbled frame.
  live_->KillServer(1);
  live_->KillServer(2);
  runtime::live::CommandResult r = RunNodeClient(live_->nginx_target());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "Error:  14 nginx: no backend"))
      << r.output;
}

}  // namespace
}  // namespace saludo
