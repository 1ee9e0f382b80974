// The Saludo service (the seed's /Saludo/saludar), transport-free: it runs on
// the runtime seam, so the live server and the simulator run this same code.
#ifndef SALUDO_SERVICES_SALUDO_SERVICE_H_
#define SALUDO_SERVICES_SALUDO_SERVICE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "proto/saludo_method.h"
#include "proto/service.pb.h"
#include "runtime/clock.h"
#include "runtime/rpc.h"
#include "runtime/slot_table.h"
#include "runtime/sync.h"
#include "runtime/timers.h"
#include "runtime/typed_rpc.h"
#include "services/fault_state.h"

namespace saludo::services {

using ::saludo::kSaludarMethod;

// Longer names are refused with INVALID_ARGUMENT.
inline constexpr size_t kMaxNombreBytes = 1024;

// Receives one line per handled call.
using CallLog = std::function<void(const std::string& line)>;

// The seed's reply text: "Hola, <nombre>, te saluda el servidor <id>".
std::string Greeting(absl::string_view nombre, int server_id);
// Replaces *out with Greeting(nombre, server_id), reusing its buffer.
void WriteGreeting(absl::string_view nombre, int server_id, std::string* out);

class SaludoService final : private runtime::TimerTarget {
 public:
  // `crash` ends the process (a crash_on_call fault); without one such a
  // call fails with ABORTED instead.
  // REQUIRES: every pointer outlives this object; server_id >= 1.
  SaludoService(int server_id, runtime::Clock* clock, runtime::Timers* timers,
                FaultState* faults, CallLog log,
                runtime::CrashProcess crash = nullptr);

  // Registers /Saludo/saludar. The reply carries the greeting, this server's
  // id and its wall-clock reading when the reply is sent. Faults in force when
  // the call arrives decide whether it is held (hang, delay) and whether it
  // fails with an injected error.
  ~SaludoService();

  void RegisterWith(runtime::HandlerRegistry& registry);

 private:
  // A held call is answered when its timer fires, dropped (memory and all)
  // if its caller gives up, and answered at once if the faults are cleared.
  // What answering a held call needs (kept in place: no closure per call),
  // the plan less its hold (the timer keeps that): 88 bytes.
  struct Held {
    runtime::TimerId timer = 0;  // set once the call is held
    absl::Status injected_error;
    bool crash = false;
    std::string nombre;
    runtime::TypedResponder<saludoRes> respond;
  };
  // What only the log line of a held call needs, kept only when there is a
  // log (the simulated worlds have none).
  struct HeldForLog {
    int64_t arrived_ns = 0;  // on clock_->Monotonic()
    std::string peer;
  };
  void Hold(const runtime::ServerCall& call, absl::Duration arrived,
            absl::Duration hold, Held held);
  void OnTimer(uint64_t key) override { Answer(key); }  // its hold is over
  void Answer(uint64_t key);  // its timer fired
  void Drop(uint64_t key);    // its caller gave up
  void ReleaseAll();          // the faults were cleared
  // Answers a saludar call that arrived at `arrived` (after its hold, if it
  // was held) with `injected_error`, or crashes the process if `crash`.
  void Reply(const absl::Status& injected_error, bool crash,
             absl::Duration arrived, const std::string& nombre,
             absl::string_view peer,
             const runtime::TypedResponder<saludoRes>& respond);
  // A held call, after its hold.
  void Reply(const Held& held, const HeldForLog& for_log);
  // Takes the log facts of held call `key` out (empty ones without a log).
  HeldForLog TakeForLog(uint64_t key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(held_mu_);

  const int server_id_;
  runtime::Clock* const clock_;
  runtime::Timers* const timers_;
  FaultState* const faults_;
  const CallLog log_;
  const runtime::CrashProcess crash_;

  runtime::Mutex held_mu_;
  uint64_t next_held_ ABSL_GUARDED_BY(held_mu_) = 0;
  // By key, in arrival order (what ReleaseAll answers in).
  runtime::SlotTable<Held> held_ ABSL_GUARDED_BY(held_mu_);
  // By the same key, while held; empty without a log.
  std::map<uint64_t, HeldForLog> held_for_log_ ABSL_GUARDED_BY(held_mu_);
};

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_SALUDO_SERVICE_H_
