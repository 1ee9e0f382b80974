// gRPC's standard health service (grpc.health.v1.Health, proto/health.proto)
// as ordinary service code on the seam, so it runs live and in the
// simulator alike.
//
// What it reports: "" (the whole server) and every service registered
// through the host's ServiceListing are SERVING from boot until Shutdown,
// then NOT_SERVING for good (the live server calls Shutdown when it starts
// draining on SIGTERM). Any other name is unknown: Check answers NOT_FOUND,
// Watch SERVICE_UNKNOWN. Injected faults do not change it: a hung or
// erroring Saludo service still reports SERVING, as a real process whose
// handler is stuck would (a gray failure only the balancer's passive checks
// and the callers' deadlines see; docs/HEALTH.md).
#ifndef SALUDO_SERVICES_HEALTH_SERVICE_H_
#define SALUDO_SERVICES_HEALTH_SERVICE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "runtime/rpc.h"
#include "runtime/service_listing.h"
#include "runtime/sync.h"

namespace saludo::services {

inline constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";
inline constexpr char kHealthWatchMethod[] = "/grpc.health.v1.Health/Watch";

class HealthService {
 public:
  // REQUIRES: `services` outlives this object.
  explicit HealthService(const runtime::ServiceListing* services);

  // Registers Check and Watch (through `registry`, usually the listing).
  void RegisterWith(runtime::HandlerRegistry& registry);

  // From now on every service is NOT_SERVING; open watches are told.
  // Safe from any thread.
  void Shutdown();

 private:
  struct Watcher {
    std::string service;
    int last_status = -1;  // what it was last sent
    std::shared_ptr<runtime::ServerStream> stream;
  };
  // The status of `service` (a HealthCheckResponse::ServingStatus).
  int StatusOf(const std::string& service) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  runtime::StreamReader Watch(const runtime::ServerCall& call,
                              std::shared_ptr<runtime::ServerStream> stream);
  void StartWatch(uint64_t id, const std::string& request_bytes);
  void EndWatch(uint64_t id);

  const runtime::ServiceListing* const services_;
  mutable runtime::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_watch_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Watcher> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_HEALTH_SERVICE_H_
