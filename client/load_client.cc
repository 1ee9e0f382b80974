#include "client/load_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/saludo_method.h"
#include "proto/service.pb.h"
#include "runtime/check.h"

namespace saludo::client {

Workload SaludoWorkload(const std::string& nombre) {
  Workload w;
  w.method = kSaludarMethod;
  saludoReq request;
  request.set_nombre(nombre);
  w.request = [bytes = request.SerializeAsString()](int64_t) { return bytes; };
  w.read_reply = [](const std::string& bytes, CallRecord* record) {
    saludoRes reply;
    if (!reply.ParseFromString(bytes)) return false;
    record->server_id = reply.server_id();
    record->mensaje = std::move(*reply.mutable_mensaje());
    record->server_time_unix_nanos = reply.server_time_unix_nanos();
    return true;
  };
  return w;
}

absl::Status ValidateLoadOptions(const LoadOptions& options) {
  if (options.workload != nullptr &&
      (options.workload->method.empty() || !options.workload->request ||
       !options.workload->read_reply)) {
    return absl::InvalidArgumentError(
        "a workload needs a method, a request and a reply reader");
  }
  if (options.duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration must not be negative");
  }
  if (!(options.calls_per_second >= 0)) {
    return absl::InvalidArgumentError("calls_per_second must not be negative");
  }
  if (options.duration == absl::ZeroDuration() && options.requests < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("requests must be at least 1, got ", options.requests));
  }
  if (options.max_calls < 0) {
    return absl::InvalidArgumentError("max_calls must not be negative");
  }
  if (options.concurrency < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "concurrency must be at least 1, got ", options.concurrency));
  }
  if (options.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline must be positive, got ",
                     absl::FormatDuration(options.deadline)));
  }
  return absl::OkStatus();
}

LoadClient::LoadClient(runtime::Clock* clock, runtime::Channel* channel,
                       LoadOptions options, runtime::Timers* timers)
    : clock_(clock),
      channel_(channel),
      timers_(timers),
      options_(std::move(options)),
      workload_(options_.workload != nullptr
                    ? options_.workload
                    : std::make_shared<const Workload>(
                          SaludoWorkload(options_.nombre))) {
  SALUDO_CHECK(ValidateLoadOptions(options_).ok());
  SALUDO_CHECK(options_.calls_per_second == 0 || timers_ != nullptr);
}

bool LoadClient::MoreToStart() {
  if (stopped_) return false;
  if (options_.max_calls > 0 && next_index_ >= options_.max_calls) {
    return false;
  }
  if (options_.duration > absl::ZeroDuration()) {
    return clock_->Monotonic() - started_at_ < options_.duration;
  }
  return next_index_ < options_.requests;
}

void LoadClient::Enter() {
  runtime::MutexLock lock(&mu_);
  ++active_;
}

void LoadClient::Leave() {
  // Only the last thread to leave may finish: once `done_` has run, the
  // owner may destroy this object, so nobody may still be inside it.
  std::function<void(std::vector<CallRecord>)> finish;
  std::vector<CallRecord> all;
  {
    runtime::MutexLock lock(&mu_);
    --active_;
    if (active_ > 0 || ticking_ || !done_ || completed_ != next_index_ ||
        MoreToStart()) {
      return;
    }
    finish = std::move(done_);
    done_ = nullptr;
    all = std::move(records_);
  }
  finish(std::move(all));
}

void LoadClient::Tick() {
  Enter();
  bool more;
  {
    runtime::MutexLock lock(&mu_);
    more = MoreToStart();
    if (!more) ticking_ = false;
  }
  if (more) {
    StartNextCall();
    timers_->RunAfter(absl::Seconds(1.0 / options_.calls_per_second),
                      [this] { Tick(); });
  }
  Leave();
}

void LoadClient::Stop() {
  Enter();
  {
    runtime::MutexLock lock(&mu_);
    stopped_ = true;
  }
  Leave();  // finishes here if nothing is in flight
}

void LoadClient::Start(std::function<void(std::vector<CallRecord>)> done) {
  Enter();
  int64_t first_wave;
  {
    runtime::MutexLock lock(&mu_);
    SALUDO_CHECK(!done_);
    done_ = std::move(done);
    started_at_ = clock_->Monotonic();
    first_wave =
        options_.duration > absl::ZeroDuration()
            ? options_.concurrency
            : std::min<int64_t>(options_.concurrency, options_.requests);
    ticking_ = options_.calls_per_second > 0;
  }
  if (options_.calls_per_second > 0) {
    Tick();
  } else {
    for (int64_t i = 0; i < first_wave; ++i) StartNextCall();
  }
  Leave();  // finishes here if nothing was started (a zero-length duration)
}

void LoadClient::StartNextCall() {
  int64_t index;
  {
    runtime::MutexLock lock(&mu_);
    if (!MoreToStart()) return;
    index = next_index_++;
    records_.emplace_back();
  }
  runtime::CallOptions call_options;
  call_options.timeout = options_.deadline;
  const absl::Duration started = clock_->Monotonic();
  const absl::Time started_wall = clock_->Now();
  channel_->Call(workload_->method, workload_->request(index), call_options,
                 [this, index, started, started_wall](absl::Status status,
                                                      std::string reply) {
                   CallRecord record;
                   record.index = index;
                   record.started = started;
                   record.started_wall = started_wall;
                   record.latency = clock_->Monotonic() - started;
                   if (status.ok() && !workload_->read_reply(reply, &record)) {
                     status = absl::InternalError(
                         "reply of " + workload_->method + " does not parse");
                   }
                   record.status = std::move(status);
                   {
                     runtime::MutexLock lock(&mu_);
                     records_[index] = std::move(record);
                     ++completed_;
                     ++active_;  // Enter(), in the same critical section
                   }
                   if (options_.calls_per_second == 0) StartNextCall();
                   Leave();
                 });
}

}  // namespace saludo::client
