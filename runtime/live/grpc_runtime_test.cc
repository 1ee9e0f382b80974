// The live runtime end to end on loopback: a GrpcServer with byte handlers and
// a GrpcChannel calling it.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <string>

#include "gtest/gtest.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/live/grpc_server.h"
#include "runtime/live/grpc_status.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"
#include "runtime/live/tsan_annotations.h"
#include "runtime/sync.h"

namespace saludo::runtime::live {
namespace {

struct Outcome {
  absl::Status status;
  std::string reply;
};

Outcome CallAndWait(Channel& channel, const std::string& method,
                    std::string request, CallOptions options = {}) {
  runtime::Notification done;
  Outcome outcome;
  channel.Call(method, std::move(request), options,
               [&](absl::Status status, std::string reply) {
                 outcome = {std::move(status), std::move(reply)};
                 done.Notify();
               });
  done.WaitForNotification();
  return outcome;
}

class GrpcRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Register("/Echo/echo", [](const ServerCall&,
                                      std::string request, Responder respond) {
      respond(absl::OkStatus(), "echo:" + request);
    });
    server_.Register(
        "/Echo/fail", [](const ServerCall&, std::string, Responder respond) {
          respond(absl::FailedPreconditionError("told to fail"), "");
        });
    server_.Register("/Echo/later",
                     [this](const ServerCall&, std::string, Responder respond) {
                       timers_.RunAfter(absl::Milliseconds(300), [respond] {
                         respond(absl::OkStatus(), "late");
                       });
                     });
    server_.Register("/Echo/peer", [](const ServerCall& call, std::string,
                                      Responder respond) {
      respond(absl::OkStatus(),
              std::string(call.loopback ? "loopback" : call.peer));
    });
    auto port = server_.Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    channel_ =
        std::make_unique<GrpcChannel>("127.0.0.1:" + std::to_string(port_));
  }

  SystemClock clock_;
  TimerThread timers_{&clock_};
  GrpcServer server_;
  int port_ = 0;
  std::unique_ptr<GrpcChannel> channel_;
};

TEST_F(GrpcRuntimeTest, BytesRoundTrip) {
  std::string binary("a\0b\xff", 4);
  Outcome o = CallAndWait(*channel_, "/Echo/echo", binary);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.reply, "echo:" + binary);
}

TEST_F(GrpcRuntimeTest, HandlerStatusReachesClient) {
  Outcome o = CallAndWait(*channel_, "/Echo/fail", "");
  EXPECT_EQ(o.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.status.message(), "told to fail");
}

TEST_F(GrpcRuntimeTest, UnknownMethodIsUnimplemented) {
  Outcome o = CallAndWait(*channel_, "/Nope/nada", "");
  EXPECT_EQ(o.status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(o.status.message().find("/Nope/nada"), std::string::npos);
}

TEST_F(GrpcRuntimeTest, DeadlineBeforeReplyIsDeadlineExceeded) {
  CallOptions options;
  options.timeout = absl::Milliseconds(50);
  Outcome o = CallAndWait(*channel_, "/Echo/later", "", options);
  EXPECT_EQ(o.status.code(), absl::StatusCode::kDeadlineExceeded);
  // The late reply of the abandoned call is dropped without harm, and the
  // server still answers.
  Outcome again = CallAndWait(*channel_, "/Echo/later", "");
  EXPECT_TRUE(again.status.ok()) << again.status;
  EXPECT_EQ(again.reply, "late");
}

TEST_F(GrpcRuntimeTest, OversizedRequestIsResourceExhausted) {
  Outcome o = CallAndWait(*channel_, "/Echo/echo",
                          std::string(kMaxRequestBytes + 1, 'x'));
  EXPECT_EQ(o.status.code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(GrpcRuntimeTest, HugeMetadataIsRefusedWithAStatus) {
  // 1 MiB of metadata, far past gRPC's default limit (8 KiB): the call ends
  // with an error status, and the server keeps serving.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.AddMetadata("x-huge", std::string(1 << 20, 'a'));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::ByteBuffer request = StringToByteBuffer("x"), reply;
  runtime::Notification done;
  grpc::Status status;
  HappensBefore(&done);  // gRPC used directly: tell TSan what it orders
  {
    GrpcOwnedScope grpc_owned;
    stub.UnaryCall(&context, "/Echo/echo", grpc::StubOptions(), &request,
                   &reply, [&](grpc::Status s) {
                     HappensAfter(&done);
                     status = s;
                     done.Notify();
                   });
  }
  done.WaitForNotification();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  std::printf("huge metadata: %d %s\n", status.error_code(),
              status.error_message().c_str());
  // The server drops that connection (a call sharing it may see one
  // UNAVAILABLE), but keeps serving: a new attempt succeeds.
  absl::Status after;
  for (int attempt = 0; attempt < 3; ++attempt) {
    after = CallAndWait(*channel_, "/Echo/echo", "y").status;
    if (after.ok()) break;
  }
  EXPECT_TRUE(after.ok()) << after;
}

TEST_F(GrpcRuntimeTest, PeerIsLoopback) {
  Outcome o = CallAndWait(*channel_, "/Echo/peer", "");
  EXPECT_EQ(o.reply, "loopback");
}

// A real server on ::1: gRPC 1.51 reports the peer as "ipv6:%5B::1%5D:port",
// which must count as loopback (the control service relies on it).
TEST(GrpcIpv6Test, Ipv6LoopbackPeerIsLoopback) {
  GrpcServer server;
  server.Register(
      "/Echo/peer", [](const ServerCall& call, std::string, Responder respond) {
        respond(absl::OkStatus(),
                std::string(call.loopback ? "loopback" : call.peer));
      });
  auto port = server.Start("::1", 0);
  ASSERT_TRUE(port.ok()) << port.status();
  GrpcChannel channel("[::1]:" + std::to_string(*port));
  Outcome o = CallAndWait(channel, "/Echo/peer", "");
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.reply, "loopback");
  server.Shutdown(absl::Milliseconds(100));
}

TEST(GrpcIpv6Test, LoopbackPrefixes) {
  EXPECT_TRUE(IsLoopbackPeer("ipv4:127.0.0.1:5000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:%5B::1%5D:5000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::1]:5000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:%5B::ffff:127.0.0.1%5D:5000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:10.0.0.1:5000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv6:%5B::2%5D:5000"));
  EXPECT_FALSE(IsLoopbackPeer("sim:client"));
}

TEST_F(GrpcRuntimeTest, PortInUseIsNamed) {
  GrpcServer second;
  auto port = second.Start("127.0.0.1", port_);
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().message(),
            "127.0.0.1:" + std::to_string(port_) + " is already in use");
}

TEST(TimerThreadTest, RunsInDeadlineOrderAndCancels) {
  SystemClock clock;
  TimerThread timers(&clock);
  runtime::Mutex mu;
  std::string order;
  runtime::Notification done;
  timers.RunAfter(absl::Milliseconds(40), [&] {
    runtime::MutexLock l(&mu);
    order += "c";
    done.Notify();
  });
  timers.RunAfter(absl::Milliseconds(10), [&] {
    runtime::MutexLock l(&mu);
    order += "a";
  });
  TimerId cancelled = timers.RunAfter(absl::Milliseconds(20), [&] {
    runtime::MutexLock l(&mu);
    order += "x";
  });
  timers.RunAfter(absl::Milliseconds(20), [&] {
    runtime::MutexLock l(&mu);
    order += "b";
  });
  EXPECT_TRUE(timers.Cancel(cancelled));
  EXPECT_FALSE(timers.Cancel(cancelled));
  done.WaitForNotification();
  runtime::MutexLock l(&mu);
  EXPECT_EQ(order, "abc");
}

TEST(SystemClockTest, OffsetShiftsWallClockOnly) {
  SystemClock clock;
  absl::Time before = clock.Now();
  clock.SetWallOffset(absl::Hours(1));
  EXPECT_EQ(clock.WallOffset(), absl::Hours(1));
  EXPECT_GE(clock.Now() - before, absl::Hours(1));
  absl::Duration m1 = clock.Monotonic();
  EXPECT_GE(clock.Monotonic(), m1);
}

}  // namespace
}  // namespace saludo::runtime::live
