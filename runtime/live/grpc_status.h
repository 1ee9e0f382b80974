// Conversions between absl::Status (used everywhere inside) and grpc::Status
// (used only at the gRPC edge). The numeric codes are identical.
#ifndef SALUDO_RUNTIME_LIVE_GRPC_STATUS_H_
#define SALUDO_RUNTIME_LIVE_GRPC_STATUS_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace saludo::runtime::live {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Flattens a ByteBuffer into a string (one copy).
std::string ByteBufferToString(const grpc::ByteBuffer& buffer);
grpc::ByteBuffer StringToByteBuffer(const std::string& bytes);

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_GRPC_STATUS_H_
