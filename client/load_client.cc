#include "client/load_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/saludo_method.h"
#include "proto/service.pb.h"
#include "runtime/check.h"
#include "runtime/typed_rpc.h"

namespace saludo::client {

namespace {

Workload MakeSaludoWorkload(const std::string& nombre, bool keep_mensaje) {
  Workload w;
  w.method = kSaludarMethod;
  saludoReq request;
  request.set_nombre(nombre);
  w.request = [bytes = request.SerializeAsString()](int64_t) { return bytes; };
  w.read_reply = [keep_mensaje](const std::string& bytes, CallRecord* record) {
    runtime::MessageScratch<saludoRes> scratch;
    saludoRes& reply = scratch.message();
    if (!reply.ParseFromString(bytes)) return false;
    record->server_id = reply.server_id();
    // Not kept, the text stays in the scratch message, whose buffer the next
    // parse (and a service's next reply on this thread) reuses.
    if (keep_mensaje) record->mensaje = std::move(*reply.mutable_mensaje());
    record->server_time_unix_nanos = reply.server_time_unix_nanos();
    return true;
  };
  return w;
}

}  // namespace

Workload SaludoWorkload(const std::string& nombre) {
  return MakeSaludoWorkload(nombre, /*keep_mensaje=*/true);
}

Workload SaludoWorkloadWithoutText(const std::string& nombre) {
  return MakeSaludoWorkload(nombre, /*keep_mensaje=*/false);
}

std::string MetadataValue(const MetadataSpec& spec, int64_t index) {
  switch (spec.kind) {
    case MetadataSpec::Kind::kFixed:
      return spec.values.at(0);
    case MetadataSpec::Kind::kPerCall:
      return absl::StrCat(spec.values.empty() ? "" : spec.values[0], index);
    case MetadataSpec::Kind::kOneOf: {
      // splitmix64 of the index, keyed by the name (FNV-1a).
      uint64_t key = 1469598103934665603ull;
      for (unsigned char c : spec.name) key = (key ^ c) * 1099511628211ull;
      uint64_t z = static_cast<uint64_t>(index) + key + 0x9e3779b97f4a7c15ull;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
      return spec.values.at(z % spec.values.size());
    }
  }
  return "";
}

namespace {

// gRPC's rules for a header a caller may attach.
absl::Status ValidateMetadata(const std::vector<MetadataSpec>& metadata) {
  if (metadata.size() > 16) {
    return absl::InvalidArgumentError("at most 16 metadata headers");
  }
  for (const MetadataSpec& m : metadata) {
    bool name_ok = !m.name.empty() && m.name.rfind("grpc-", 0) != 0;
    for (char c : m.name) {
      name_ok = name_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.');
    }
    if (!name_ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata name \"", m.name, "\": expected lowercase letters, "
          "digits, - _ . and not grpc-"));
    }
    const size_t want = m.kind == MetadataSpec::Kind::kFixed ? 1 : 0;
    if ((want == 1 && m.values.size() != 1) ||
        (m.kind == MetadataSpec::Kind::kOneOf &&
         (m.values.empty() || m.values.size() > 64))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata \"", m.name, "\": a fixed value, or 1..64 to choose from"));
    }
    for (const std::string& v : m.values) {
      for (char c : v) {
        if (c < 0x20 || c > 0x7e) {
          return absl::InvalidArgumentError(absl::StrCat(
              "metadata \"", m.name, "\": values are printable ASCII"));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLoadOptions(const LoadOptions& options) {
  if (absl::Status s = ValidateMetadata(options.metadata); !s.ok()) return s;
  if (!options.method.empty() && options.method[0] != '/') {
    return absl::InvalidArgumentError(
        "method must be a path such as /Saludo/saludar");
  }
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

size_t RecordsToReserve(const LoadOptions& o) {
  constexpr double kMaxReserved = 1 << 16;
  double known = 0;  // unknown: a closed loop for a duration
  if (o.duration <= absl::ZeroDuration()) {
    known = static_cast<double>(o.requests);
  } else if (o.calls_per_second > 0) {
    known = absl::ToDoubleSeconds(o.duration) * o.calls_per_second + 1;
  }
  if (o.max_calls > 0)
    known = std::min(known, static_cast<double>(o.max_calls));
  return static_cast<size_t>(std::clamp(known, 0.0, kMaxReserved));
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
                          SaludoWorkload(options_.nombre))),
      interval_(options_.calls_per_second > 0
                    ? absl::Seconds(1.0 / options_.calls_per_second)
                    : absl::ZeroDuration()) {
  SALUDO_CHECK(ValidateLoadOptions(options_).ok());
  SALUDO_CHECK(options_.calls_per_second == 0 || timers_ != nullptr);
  records_.reserve(RecordsToReserve(options_));
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
  int64_t next = 0;  // the index of the call after this one
  {
    runtime::MutexLock lock(&mu_);
    more = MoreToStart();
    if (!more) ticking_ = false;
    next = next_index_ + 1;
  }
  if (more) {
    StartNextCall();
    // Call k is due k intervals after the start, whenever this tick ran: a
    // late timer (live) does not push every later call back.
    const absl::Duration due = started_at_ + interval_ * next;
    timers_->NotifyAfter(
        std::max(due - clock_->Monotonic(), absl::ZeroDuration()), this, 0);
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
  const absl::Duration started = clock_->Monotonic();
  const absl::Time started_wall = clock_->Now();
  int64_t index;
  {
    runtime::MutexLock lock(&mu_);
    if (!MoreToStart()) return;
    index = next_index_++;
    CallRecord& record = records_.emplace_back();
    record.started = started;
    record.started_wall = started_wall;
  }
  runtime::CallOptions call_options;
  call_options.timeout = options_.deadline;
  for (const MetadataSpec& m : options_.metadata) {
    call_options.metadata.emplace_back(m.name, MetadataValue(m, index));
  }
  const std::string& method =
      options_.method.empty() ? workload_->method : options_.method;
  // The completion captures only what fits std::function's own storage: the
  // start times wait in the record.
  channel_->Call(method, workload_->request(index), call_options,
                 [this, index](absl::Status status, std::string reply) {
                   const absl::Duration now = clock_->Monotonic();
                   CallRecord record;
                   record.index = index;
                   if (status.ok() && !workload_->read_reply(reply, &record)) {
                     status = absl::InternalError(
                         "reply of " + workload_->method + " does not parse");
                   }
                   record.status = std::move(status);
                   {
                     runtime::MutexLock lock(&mu_);
                     CallRecord& slot = records_[index];
                     record.started = slot.started;
                     record.started_wall = slot.started_wall;
                     record.latency = now - slot.started;
                     slot = std::move(record);
                     ++completed_;
                     ++active_;  // Enter(), in the same critical section
                   }
                   if (options_.calls_per_second == 0) StartNextCall();
                   Leave();
                 });
}

}  // namespace saludo::client
