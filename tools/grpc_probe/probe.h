// What grpc_probe does (grpc_probe.cc has the command line): health checks
// and reflection requests against any gRPC server, with the protocols'
// generated stubs (proto/health.proto, proto/reflection_*.proto).
#ifndef SALUDO_TOOLS_GRPC_PROBE_PROBE_H_
#define SALUDO_TOOLS_GRPC_PROBE_PROBE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace saludo::tools {

struct ProbeOptions {
  std::string service;           // health: "" is the whole server
  int watch = 0;                 // health: >0 watches for this many statuses
  absl::Duration timeout = absl::Seconds(5);  // per call or stream
  bool reflection_v1 = false;    // grpc.reflection.v1 instead of v1alpha
};

// Check: "SERVING\n", or an error ("unhealthy: NOT_SERVING", or the call's
// status). Watch: one line per status received, in order; an error if fewer
// than options.watch arrived before the stream ended or timed out (the lines
// received are in its message).
absl::StatusOr<std::string> Health(const std::string& address,
                                   const ProbeOptions& options);

// The services the server's reflection lists, one per line.
absl::StatusOr<std::string> ListServices(const std::string& address,
                                         const ProbeOptions& options);

// Calls unary `service_method` ("Saludo/saludar") with the request written
// as `json`, using only what reflection tells about its types; the reply as
// JSON and a newline.
absl::StatusOr<std::string> CallByReflection(const std::string& address,
                                             const std::string& service_method,
                                             const std::string& json,
                                             const ProbeOptions& options);

}  // namespace saludo::tools

#endif  // SALUDO_TOOLS_GRPC_PROBE_PROBE_H_
