// The counter service, written on the runtime seam only (runtime/rpc.h,
// runtime/host.h): the very same code serves calls in the simulator and in
// the live server binary. Its state lives in the host, so a restart (a new
// host from the boot function) starts from zero.
#ifndef SALUDO_EXAMPLES_COUNTER_COUNTER_SERVICE_H_
#define SALUDO_EXAMPLES_COUNTER_COUNTER_SERVICE_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "runtime/host.h"
#include "runtime/rpc.h"
#include "runtime/sync.h"

namespace saludo::counter {

inline constexpr char kAddMethod[] = "/saludo.counter.Counter/Add";
inline constexpr int64_t kMaxAmount = 1000000;
inline constexpr size_t kMaxClientBytes = 256;

class CounterService {
 public:
  // REQUIRES: server_id >= 1.
  explicit CounterService(int server_id);

  // Registers Add. A bad request (amount out of range, client too long, or
  // bytes that do not parse) gets INVALID_ARGUMENT.
  void RegisterWith(runtime::HandlerRegistry& registry);

 private:
  const int server_id_;
  runtime::Mutex mu_;  // live handlers run on several gRPC threads
  int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
};

// One incarnation of a counter server.
class CounterHost final : public runtime::Host {
 public:
  CounterHost(const runtime::HostContext& host, int server_id);

 private:
  CounterService service_;
};

// Boots a counter server with `server_id` (simulator and live binary alike).
runtime::BootFn CounterBoot(int server_id);

}  // namespace saludo::counter

#endif  // SALUDO_EXAMPLES_COUNTER_COUNTER_SERVICE_H_
