// The live side of a streaming call (runtime/rpc.h's StreamHandler): a gRPC
// generic bidirectional reactor that feeds the caller's messages to the
// handler's StreamReader and sends what the handler writes, in order, one
// write in flight at a time, then its Finish status.
#ifndef SALUDO_RUNTIME_LIVE_GRPC_STREAM_H_
#define SALUDO_RUNTIME_LIVE_GRPC_STREAM_H_

#include <grpcpp/generic/async_generic_service.h>

#include <string>

#include "runtime/rpc.h"

namespace saludo::runtime::live {

// Creates the reactor for one streaming call of `method`; gRPC owns it (it
// deletes itself when the call is done).
// REQUIRES: `handler` outlives the call (the server's handler table).
grpc::ServerGenericBidiReactor* NewStreamReactor(
    grpc::GenericCallbackServerContext* context, const std::string& method,
    const StreamHandler* handler);

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_GRPC_STREAM_H_
