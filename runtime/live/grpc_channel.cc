#include "runtime/live/grpc_channel.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <utility>

#include "runtime/live/grpc_status.h"
#include "runtime/live/tsan_annotations.h"

namespace saludo::runtime::live {
namespace {

// Everything one call needs, alive until its completion callback has run.
struct PendingCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer reply;
  CallDone done;
};

}  // namespace

GrpcChannel::GrpcChannel(const std::string& target)
    : GrpcChannel(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials())) {}

GrpcChannel::GrpcChannel(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), stub_(channel_) {}

void GrpcChannel::Call(const std::string& method, std::string request,
                       const CallOptions& options, CallDone done) {
  auto* call = new PendingCall;
  call->request = StringToByteBuffer(request);
  call->done = std::move(done);
  if (options.timeout != absl::InfiniteDuration()) {
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoNanoseconds(options.timeout));
  }
  for (const auto& [name, value] : options.metadata) {
    call->context.AddMetadata(name, value);
  }
  HappensBefore(call);  // the completion runs on a gRPC thread
  GrpcOwnedScope grpc_owned;
  stub_.UnaryCall(&call->context, method, grpc::StubOptions(), &call->request,
                  &call->reply, [call](grpc::Status status) {
                    HappensAfter(call);
                    std::string reply;
                    if (status.ok()) {
                      GrpcOwnedScope grpc_owned;
                      reply = ByteBufferToString(call->reply);
                    }
                    CallDone done = std::move(call->done);
                    {
                      GrpcOwnedScope grpc_owned;
                      delete call;
                    }
                    done(FromGrpcStatus(status), std::move(reply));
                  });
}

}  // namespace saludo::runtime::live
