#include "sim/network.h"

#include <string>
#include <utility>
#include <vector>

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

// A call's round trip follows the link models as they are when its messages
// are sent: the default changed in place, a pair's own link set later, and
// a node added (which renumbers nothing but grows the table of pairs).
TEST(NetworkTest, MessagesFollowLinkChangesMadeAfterTheyWereUsed) {
  Simulator sim(1, false);
  Network net(&sim);
  const NodeId a = net.AddNode("a");
  const NodeId b = net.AddNode("b");
  net.node(b).server().Register("/A/a", Answering("ok"));
  auto round_trip = [&](NodeId from, NodeId to) {
    const int64_t start_ns = sim.now_ns();
    int64_t done_ns = -1;
    net.StartCall(from, to, "/A/a", "", runtime::CallOptions{},
                  [&](absl::Status status, std::string) {
                    EXPECT_TRUE(status.ok()) << status;
                    done_ns = sim.now_ns();
                  });
    sim.RunAll();
    return done_ns - start_ns;
  };
  LinkModel one_ms;
  one_ms.latency = Distribution::Fixed(absl::Milliseconds(1));
  net.SetDefaultLink(one_ms);
  EXPECT_EQ(round_trip(a, b), 2000000);
  LinkModel three_ms;
  three_ms.latency = Distribution::Fixed(absl::Milliseconds(3));
  net.SetDefaultLink(three_ms);
  EXPECT_EQ(round_trip(a, b), 6000000);
  LinkModel five_ms;
  five_ms.latency = Distribution::Fixed(absl::Milliseconds(5));
  net.SetLink(a, b, five_ms);  // a -> b only; b -> a keeps the default
  EXPECT_EQ(round_trip(a, b), 8000000);
  const NodeId c = net.AddNode("c");
  net.node(c).server().Register("/A/a", Answering("ok"));
  EXPECT_EQ(round_trip(a, b), 8000000);
  EXPECT_EQ(round_trip(c, b), 6000000);
  EXPECT_EQ(round_trip(a, c), 6000000);
}

// A call's metadata reaches its server with it; a call without any brings
// none, also after calls that had some are over.
TEST(NetworkTest, EachCallBringsItsOwnMetadata) {
  Simulator sim(1, false);
  Network net(&sim);
  const NodeId client = net.AddNode("client");
  const NodeId server = net.AddNode("server");
  std::vector<std::string> seen;
  net.node(server).server().Register(
      "/A/a", [&](const runtime::ServerCall& call, std::string,
                  runtime::Responder respond) {
        std::string headers;
        if (call.metadata != nullptr) {
          for (const auto& [name, value] : *call.metadata) {
            headers += name + "=" + value + ";";
          }
        }
        seen.push_back(headers);
        respond(absl::OkStatus(), "");
      });
  auto call = [&](runtime::Metadata metadata) {
    runtime::CallOptions options;
    options.metadata = std::move(metadata);
    net.StartCall(client, server, "/A/a", "", options,
                  [](absl::Status status, std::string) {
                    EXPECT_TRUE(status.ok()) << status;
                  });
  };
  call({{"x-a", "1"}});
  call({});
  call({{"x-b", "2"}, {"x-c", "3"}});
  sim.RunAll();
  call({});
  sim.RunAll();
  EXPECT_EQ(seen, (std::vector<std::string>{"x-a=1;", "", "x-b=2;x-c=3;", ""}));
}

}  // namespace
}  // namespace saludo::sim
