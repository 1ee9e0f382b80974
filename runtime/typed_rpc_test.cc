#include "runtime/typed_rpc.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "proto/service.pb.h"

namespace saludo::runtime {
namespace {

TEST(CodeOfTest, IsTheStatusCode) {
  EXPECT_EQ(CodeOf(absl::OkStatus()), absl::StatusCode::kOk);
  EXPECT_EQ(CodeOf(absl::DeadlineExceededError("late")),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(CodeOf(absl::Status(absl::StatusCode::kUnavailable, "")),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeOf(absl::Status(static_cast<absl::StatusCode>(16), "x")),
            absl::StatusCode::kUnauthenticated);
}

// A thread's parses reuse one message (its string keeps its buffer); a parse
// nested inside another gets its own, and another thread has its own.
TEST(MessageScratchTest, ReusedInTurnFreshWhenNestedOwnPerThread) {
  saludoReq sent;
  sent.set_nombre("un nombre bastante largo para no caber en SSO");
  const std::string bytes = sent.SerializeAsString();
  const saludoReq* first = nullptr;
  const char* buffer = nullptr;
  {
    MessageScratch<saludoReq> scratch;
    ASSERT_TRUE(scratch.message().ParseFromString(bytes));
    first = &scratch.message();
    buffer = scratch.message().nombre().data();
    MessageScratch<saludoReq> nested;
    EXPECT_NE(&nested.message(), first);
    saludoReq other;
    other.set_nombre("otro");
    ASSERT_TRUE(nested.message().ParseFromString(other.SerializeAsString()));
    EXPECT_EQ(scratch.message().nombre(), sent.nombre());  // untouched
  }
  {
    MessageScratch<saludoReq> again;
    EXPECT_EQ(&again.message(), first);
    ASSERT_TRUE(again.message().ParseFromString(bytes));
    EXPECT_EQ(again.message().nombre().data(), buffer);  // no new buffer
    EXPECT_EQ(again.message().nombre(), sent.nombre());
    const saludoReq* elsewhere = nullptr;
    std::thread([&elsewhere] {
      MessageScratch<saludoReq> theirs;
      elsewhere = &theirs.message();
    }).join();
    EXPECT_NE(elsewhere, first);
  }
}

}  // namespace
}  // namespace saludo::runtime
