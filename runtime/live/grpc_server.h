// The live server: one gRPC server with a generic callback service that routes
// every call to the handler registered for its method path (unary, or a
// stream: grpc_stream.h).
#ifndef SALUDO_RUNTIME_LIVE_GRPC_SERVER_H_
#define SALUDO_RUNTIME_LIVE_GRPC_SERVER_H_

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/rpc.h"

namespace saludo::runtime::live {

using runtime::kMaxRequestBytes;

// True if `peer`, as gRPC 1.51 reports it ("ipv4:127.0.0.1:5000",
// "ipv6:%5B::1%5D:5000", "unix:/path"), is on this machine.
bool IsLoopbackPeer(absl::string_view peer);

class GrpcServer final : public HandlerRegistry {
 public:
  GrpcServer();
  // Shuts down (see Shutdown) if still running.
  ~GrpcServer() override;

  void Register(const std::string& method, Handler handler) override;
  void RegisterStream(const std::string& method,
                      StreamHandler handler) override;

  // Starts serving on host:port (port 0 picks a free port). Returns the bound
  // port, or an error naming the address (e.g. "127.0.0.1:3001 is already in
  // use").
  // REQUIRES: not started before.
  absl::StatusOr<int> Start(const std::string& host, int port);

  // Stops accepting calls; calls still in progress are cancelled (their
  // clients see CANCELLED) after `grace`.
  void Shutdown(absl::Duration grace = absl::Seconds(1));

 private:
  class Service;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, StreamHandler> streams_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_GRPC_SERVER_H_
