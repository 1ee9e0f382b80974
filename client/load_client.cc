#include "client/load_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/service.pb.h"
#include "runtime/check.h"
#include "runtime/typed_rpc.h"
#include "services/saludo_service.h"

namespace saludo::client {

absl::Status ValidateLoadOptions(const LoadOptions& options) {
  if (options.requests < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("requests must be at least 1, got ", options.requests));
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
                       LoadOptions options)
    : clock_(clock), channel_(channel), options_(std::move(options)) {
  SALUDO_CHECK(ValidateLoadOptions(options_).ok());
}

void LoadClient::Start(std::function<void(std::vector<CallRecord>)> done) {
  int64_t first_wave;
  {
    absl::MutexLock lock(&mu_);
    SALUDO_CHECK(!done_);
    done_ = std::move(done);
    records_.resize(options_.requests);
    first_wave = std::min<int64_t>(options_.concurrency, options_.requests);
  }
  for (int64_t i = 0; i < first_wave; ++i) StartNextCall();
}

void LoadClient::StartNextCall() {
  int64_t index;
  {
    absl::MutexLock lock(&mu_);
    if (next_index_ >= options_.requests) return;
    index = next_index_++;
  }
  saludoReq request;
  request.set_nombre(options_.nombre);
  runtime::CallOptions call_options;
  call_options.timeout = options_.deadline;
  const absl::Duration started = clock_->Monotonic();
  runtime::CallUnary<saludoRes>(
      *channel_, services::kSaludarMethod, request, call_options,
      [this, index, started](absl::Status status, saludoRes reply) {
        CallRecord record;
        record.index = index;
        record.started = started;
        record.latency = clock_->Monotonic() - started;
        if (status.ok()) {
          record.server_id = reply.server_id();
          record.mensaje = std::move(*reply.mutable_mensaje());
          record.server_time_unix_nanos = reply.server_time_unix_nanos();
        }
        record.status = std::move(status);
        std::function<void(std::vector<CallRecord>)> finish;
        std::vector<CallRecord> all;
        {
          absl::MutexLock lock(&mu_);
          records_[index] = std::move(record);
          if (++completed_ == options_.requests) {
            finish = std::move(done_);
            all = std::move(records_);
          }
        }
        if (finish) {
          finish(std::move(all));
        } else {
          StartNextCall();
        }
      });
}

}  // namespace saludo::client
