// The client logic, on the runtime seam: a burst of calls with a fixed number
// in flight (closed loop) or at a fixed rate (open loop), each with its own
// deadline. What a call sends and how its reply is read is a Workload:
// saludar by default, or any service's (examples/). The live client binary,
// the live scenario target and the simulator run this same code.
#ifndef SALUDO_CLIENT_LOAD_CLIENT_H_
#define SALUDO_CLIENT_LOAD_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/clock.h"
#include "runtime/rpc.h"
#include "runtime/sync.h"
#include "runtime/timers.h"

namespace saludo::client {

struct CallRecord;

// What each call of a load sends, and how its reply is read.
struct Workload {
  std::string method;  // e.g. "/Saludo/saludar"
  // The request bytes of the call with this index (0-based).
  std::function<std::string(int64_t index)> request;
  // Reads reply bytes into `record` (server_id, mensaje, server time);
  // false if they do not parse (the call then counts as INTERNAL).
  std::function<bool(const std::string& reply, CallRecord* record)> read_reply;
};

// saludar with `nombre`, the seed's call.
Workload SaludoWorkload(const std::string& nombre);
// The same calls, but the records leave `mensaje` empty (the reply is still
// parsed and checked): a load whose greetings nobody reads keeps no copy of
// one per call.
Workload SaludoWorkloadWithoutText(const std::string& nombre);

// A metadata header every call carries: one fixed value, one of `values`
// chosen per call, or `values[0]` (a prefix) followed by the call's index.
// A chosen value depends only on the call's index and the header's name, so
// the same call carries the same value in every run, live or simulated.
struct MetadataSpec {
  enum class Kind { kFixed, kOneOf, kPerCall };
  std::string name;  // lowercase, e.g. "x-call-id"
  Kind kind = Kind::kFixed;
  std::vector<std::string> values;
};
// What call `index` carries for `spec`.
std::string MetadataValue(const MetadataSpec& spec, int64_t index);

struct LoadOptions {
  // What the calls are; null: saludar with `nombre`.
  std::shared_ptr<const Workload> workload;
  std::string nombre = "Nombre de testeo";
  // How many calls, unless `duration` is set.
  int64_t requests = 1;
  // Closed loop: calls in flight at once (each completion starts the next).
  int concurrency = 1;
  // Open loop instead, if > 0: a call starts every 1/calls_per_second,
  // whatever happens to earlier ones. Needs timers.
  double calls_per_second = 0;
  // If > 0: keep starting calls until this long after Start (client clock).
  absl::Duration duration = absl::ZeroDuration();
  // Per call, on the client's clock.
  absl::Duration deadline = absl::Seconds(5);
  // If > 0: never start more calls than this (a guard on what a load can
  // cost; a scenario sets it).
  int64_t max_calls = 0;
  // The path the calls use instead of the workload's ("": the workload's),
  // e.g. to reach another nginx location.
  std::string method;
  // Headers each call carries (at most 16).
  std::vector<MetadataSpec> metadata;
};

// The outcome of one call.
struct CallRecord {
  int64_t index = 0;  // 0-based order in which the call was started
  absl::Status status;
  int server_id = 0;  // 0 when the call failed
  std::string mensaje;
  int64_t server_time_unix_nanos = 0;
  absl::Duration started;   // client monotonic reading at start
  absl::Time started_wall;  // client wall-clock reading at start
  absl::Duration latency;   // on the client's monotonic clock
};

// Checks options; returns INVALID_ARGUMENT naming the bad one.
absl::Status ValidateLoadOptions(const LoadOptions& options);

// How many calls a load is known to make, at most 65,536 (0: unknown, a
// closed loop for a duration): what its list of records reserves up front,
// saving the list's doubling slack and moving every record at each growth.
size_t RecordsToReserve(const LoadOptions& options);

class LoadClient final : private runtime::TimerTarget {
 public:
  // REQUIRES: `clock`, `channel` (and `timers`, needed for open loop) outlive
  // this object; ValidateLoadOptions(options).ok().
  LoadClient(runtime::Clock* clock, runtime::Channel* channel,
             LoadOptions options, runtime::Timers* timers = nullptr);

  // Starts the burst. `done` runs once, after the last call completed (and no
  // more will start), with every record ordered by index. Thread-safe with
  // respect to completions arriving on several threads (live). REQUIRES: called
  // once.
  void Start(std::function<void(std::vector<CallRecord>)> done);

  // Starts no more calls; `done` runs once those in flight complete.
  // Thread-safe; may be called any time after Start.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void StartNextCall();
  void Tick();  // open loop
  void OnTimer(uint64_t) override { Tick(); }
  bool MoreToStart() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every thread inside a member (a completion, a tick, Start) enters and
  // leaves; the last to leave, with nothing in flight and nothing more to
  // start, runs done_.
  void Enter() ABSL_LOCKS_EXCLUDED(mu_);
  void Leave() ABSL_LOCKS_EXCLUDED(mu_);

  runtime::Clock* const clock_;
  runtime::Channel* const channel_;
  runtime::Timers* const timers_;
  const LoadOptions options_;
  const std::shared_ptr<const Workload> workload_;
  const absl::Duration interval_;  // between calls, open loop; else zero
  absl::Duration started_at_;
  std::function<void(std::vector<CallRecord>)> done_;
  runtime::Mutex mu_;
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool ticking_ ABSL_GUARDED_BY(mu_) = false;  // open loop
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<CallRecord> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace saludo::client

#endif  // SALUDO_CLIENT_LOAD_CLIENT_H_
