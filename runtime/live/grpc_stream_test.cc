// Streams on the live runtime (grpc_stream.cc), end to end on loopback: a
// GrpcServer stream handler and a real gRPC client of a bidirectional
// method (the reflection protocol's generated stub, used here only as a
// bidi stream with known messages).
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/reflection_v1.grpc.pb.h"
#include "runtime/live/grpc_server.h"
#include "runtime/sync.h"

namespace saludo::runtime::live {
namespace {

using ::grpc::reflection::v1::ServerReflection;
using ::grpc::reflection::v1::ServerReflectionRequest;
using ::grpc::reflection::v1::ServerReflectionResponse;

constexpr char kMethod[] =
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

// A message whose valid_host says `text`.
std::string Reply(const std::string& text) {
  ServerReflectionResponse response;
  response.set_valid_host(text);
  return response.SerializeAsString();
}

class GrpcStreamTest : public ::testing::Test {
 protected:
  // Starts the server with `handler` on kMethod and a stub to it.
  void Serve(StreamHandler handler) {
    server_.RegisterStream(kMethod, std::move(handler));
    auto port = server_.Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    stub_ = ServerReflection::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(*port),
        grpc::InsecureChannelCredentials()));
  }

  GrpcServer server_;
  std::unique_ptr<ServerReflection::Stub> stub_;
};

// Each message gets two replies, in order; the half close a last one and
// the status.
TEST_F(GrpcStreamTest, MessagesAndRepliesStayInOrderOnOneStream) {
  Serve([](const ServerCall& call, std::shared_ptr<ServerStream> stream) {
    EXPECT_TRUE(call.loopback);
    StreamReader reader;
    reader.on_message = [stream](std::string bytes) {
      ServerReflectionRequest request;
      ASSERT_TRUE(request.ParseFromString(bytes));
      stream->Write(Reply(request.host() + "1"));
      stream->Write(Reply(request.host() + "2"));
    };
    reader.on_half_close = [stream] {
      stream->Write(Reply("end"));
      stream->Finish(absl::OkStatus());
      stream->Write(Reply("after finish: dropped"));
    };
    return reader;
  });
  grpc::ClientContext context;
  auto rw = stub_->ServerReflectionInfo(&context);
  for (const char* host : {"a", "b", "c"}) {
    ServerReflectionRequest request;
    request.set_host(host);
    ASSERT_TRUE(rw->Write(request));
  }
  ASSERT_TRUE(rw->WritesDone());
  std::vector<std::string> got;
  ServerReflectionResponse response;
  while (rw->Read(&response)) got.push_back(response.valid_host());
  EXPECT_EQ(got, (std::vector<std::string>{"a1", "a2", "b1", "b2", "c1", "c2",
                                           "end"}));
  EXPECT_TRUE(rw->Finish().ok());
}

TEST_F(GrpcStreamTest, AnErrorStatusFollowsTheMessagesWrittenBeforeIt) {
  Serve([](const ServerCall&, std::shared_ptr<ServerStream> stream) {
    stream->Write(Reply("first"));
    stream->Finish(absl::FailedPreconditionError("told to stop"));
    stream->Finish(absl::OkStatus());  // a second finish is ignored
    return StreamReader{};
  });
  grpc::ClientContext context;
  auto rw = stub_->ServerReflectionInfo(&context);
  ServerReflectionResponse response;
  ASSERT_TRUE(rw->Read(&response));
  EXPECT_EQ(response.valid_host(), "first");
  EXPECT_FALSE(rw->Read(&response));
  const grpc::Status status = rw->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "told to stop");
}

// A caller that goes away is seen by the handler (its hook runs once), and
// what it writes afterwards goes nowhere.
TEST_F(GrpcStreamTest, TheHandlerHearsWhenTheCallerCancels) {
  runtime::Notification cancelled;
  std::shared_ptr<ServerStream> kept;
  runtime::Mutex mu;
  Serve([&](const ServerCall& call, std::shared_ptr<ServerStream> stream) {
    {
      runtime::MutexLock lock(&mu);
      kept = stream;
    }
    call.set_on_cancel([&cancelled, stream] {
      stream->Write(Reply("too late"));
      cancelled.Notify();
    });
    stream->Write(Reply("hello"));
    return StreamReader{};
  });
  grpc::ClientContext context;
  auto rw = stub_->ServerReflectionInfo(&context);
  ServerReflectionResponse response;
  ASSERT_TRUE(rw->Read(&response));
  context.TryCancel();
  ASSERT_TRUE(cancelled.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(rw->Finish().error_code(), grpc::StatusCode::CANCELLED);
  runtime::MutexLock lock(&mu);
  kept->Write(Reply("after the call: dropped"));
}

}  // namespace
}  // namespace saludo::runtime::live
