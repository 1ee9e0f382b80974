// The live Channel: unary calls over a gRPC channel with the generic callback
// API (no generated stubs needed, so any method path can be called).
#ifndef SALUDO_RUNTIME_LIVE_GRPC_CHANNEL_H_
#define SALUDO_RUNTIME_LIVE_GRPC_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <string>

#include "runtime/rpc.h"

namespace saludo::runtime::live {

class GrpcChannel final : public Channel {
 public:
  // An insecure channel to `target` ("host:port").
  explicit GrpcChannel(const std::string& target);
  explicit GrpcChannel(std::shared_ptr<grpc::Channel> channel);

  // `done` runs on a gRPC thread. Deadlines are set from the system clock.
  void Call(const std::string& method, std::string request,
            const CallOptions& options, CallDone done) override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
};

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_GRPC_CHANNEL_H_
