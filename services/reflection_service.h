// gRPC server reflection (grpc.reflection.v1 and v1alpha, proto/reflection_*
// .proto) as ordinary service code on the seam, so `grpcurl list` and
// `grpcurl -d '{"nombre":"Ana"}' HOST Saludo/saludar` work with no proto
// file, live and in the simulator.
//
// It lists the services registered through the host's ServiceListing and
// answers file requests from the protobuf descriptors linked into the
// binary (every service's generated code is), each file with the files it
// imports.
#ifndef SALUDO_SERVICES_REFLECTION_SERVICE_H_
#define SALUDO_SERVICES_REFLECTION_SERVICE_H_

#include <string>

#include "runtime/rpc.h"
#include "runtime/service_listing.h"
#include "runtime/sync.h"

namespace saludo::services {

inline constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
inline constexpr char kReflectionAlphaMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

class ReflectionService {
 public:
  // REQUIRES: `services` outlives this object.
  explicit ReflectionService(const runtime::ServiceListing* services)
      : services_(services) {}

  // Registers both protocol versions (through `registry`, usually the
  // listing, so reflection lists itself as gRPC's own does).
  void RegisterWith(runtime::HandlerRegistry& registry);

  // The serialized ServerReflectionResponse to one serialized request (the
  // two versions share their bytes), or "" if it does not parse. Safe from
  // any thread.
  std::string Answer(const std::string& request_bytes) const;

 private:
  const runtime::ServiceListing* const services_;
  // protobuf builds the generated pool's descriptors lazily, under a lock of
  // its own that TSan cannot see (the system's protobuf is uninstrumented):
  // lookups take this one too, so two streams never look up at once.
  mutable runtime::Mutex mu_;
};

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_REFLECTION_SERVICE_H_
