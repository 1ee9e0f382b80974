#include "sim/network.h"

#include <string>

#include "gtest/gtest.h"

namespace saludo::sim {
namespace {

runtime::Handler Answering(std::string text) {
  return
      [text](const runtime::ServerCall&, std::string,
             runtime::Responder respond) { respond(absl::OkStatus(), text); };
}

// Find remembers the last method it found: whatever the order of lookups,
// each method gets its own handler, an unknown one the fallback, and none
// survives Clear.
TEST(SimServerTest, FindGivesEachMethodItsHandlerInAnyOrder) {
  SimServer server;
  server.Register("/A/a", Answering("a"));
  server.Register("/B/b", Answering("b"));
  const runtime::Handler* a = server.Find("/A/a");
  const runtime::Handler* b = server.Find("/B/b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(server.Find("/A/a"), a);
    EXPECT_EQ(server.Find("/A/a"), a);
    EXPECT_EQ(server.Find("/B/b"), b);
    EXPECT_EQ(server.Find("/C/c"), nullptr);
  }
  server.SetFallback(Answering("proxy"));
  const runtime::Handler* fallback = server.Find("/C/c");
  ASSERT_NE(fallback, nullptr);
  EXPECT_NE(fallback, a);
  EXPECT_EQ(server.Find("/A/a"), a);
  std::string answer;
  (*server.Find("/B/b"))(runtime::ServerCall{}, "",
                         [&answer](absl::Status, std::string reply) {
                           answer = std::move(reply);
                         });
  EXPECT_EQ(answer, "b");
  server.Clear();
  EXPECT_EQ(server.Find("/A/a"), nullptr);
  EXPECT_EQ(server.Find("/B/b"), nullptr);
}

}  // namespace
}  // namespace saludo::sim
