#include "services/health_service.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "proto/health.pb.h"
#include "runtime/typed_rpc.h"

namespace saludo::services {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

std::string StatusBytes(int status) {
  HealthCheckResponse response;
  response.set_status(static_cast<HealthCheckResponse::ServingStatus>(status));
  return response.SerializeAsString();
}

}  // namespace

HealthService::HealthService(const runtime::ServiceListing* services)
    : services_(services) {}

void HealthService::RegisterWith(runtime::HandlerRegistry& registry) {
  runtime::RegisterUnary<HealthCheckRequest, HealthCheckResponse>(
      registry, kHealthCheckMethod,
      [this](const runtime::ServerCall&, const HealthCheckRequest& request,
             runtime::TypedResponder<HealthCheckResponse> respond) {
        HealthCheckResponse response;
        int status;
        {
          runtime::MutexLock lock(&mu_);
          status = StatusOf(request.service());
        }
        if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
          respond(absl::NotFoundError("unknown service " + request.service()),
                  response);
          return;
        }
        response.set_status(
            static_cast<HealthCheckResponse::ServingStatus>(status));
        respond(absl::OkStatus(), response);
      });
  registry.RegisterStream(
      kHealthWatchMethod,
      [this](const runtime::ServerCall& call,
             std::shared_ptr<runtime::ServerStream> stream) {
        return Watch(call, std::move(stream));
      });
}

int HealthService::StatusOf(const std::string& service) const {
  if (!service.empty() && services_->services().count(service) == 0) {
    return HealthCheckResponse::SERVICE_UNKNOWN;
  }
  return shut_down_ ? HealthCheckResponse::NOT_SERVING
                    : HealthCheckResponse::SERVING;
}

runtime::StreamReader HealthService::Watch(
    const runtime::ServerCall& call,
    std::shared_ptr<runtime::ServerStream> stream) {
  uint64_t id;
  {
    runtime::MutexLock lock(&mu_);
    id = ++next_watch_;
    watchers_[id].stream = std::move(stream);
  }
  if (call.set_on_cancel) {
    call.set_on_cancel([this, id] { EndWatch(id); });
  }
  runtime::StreamReader reader;
  reader.on_message = [this, id](std::string bytes) {
    StartWatch(id, bytes);
  };
  return reader;
}

void HealthService::StartWatch(uint64_t id, const std::string& request_bytes) {
  HealthCheckRequest request;
  const bool parsed = request.ParseFromString(request_bytes);
  std::shared_ptr<runtime::ServerStream> stream;
  int status = 0;
  {
    runtime::MutexLock lock(&mu_);
    auto it = watchers_.find(id);
    if (it == watchers_.end() || it->second.last_status != -1) return;
    stream = it->second.stream;
    if (!parsed) {
      watchers_.erase(it);
    } else {
      it->second.service = request.service();
      status = it->second.last_status = StatusOf(request.service());
    }
  }
  if (!parsed) {
    stream->Finish(absl::InvalidArgumentError(
        "request does not parse as grpc.health.v1.HealthCheckRequest"));
    return;
  }
  stream->Write(StatusBytes(status));
}

void HealthService::EndWatch(uint64_t id) {
  runtime::MutexLock lock(&mu_);
  watchers_.erase(id);
}

void HealthService::Shutdown() {
  std::vector<std::pair<std::shared_ptr<runtime::ServerStream>, int>> told;
  {
    runtime::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [id, watcher] : watchers_) {
      if (watcher.last_status == -1) continue;  // its request is not in yet
      const int status = StatusOf(watcher.service);
      if (status == watcher.last_status) continue;
      watcher.last_status = status;
      told.emplace_back(watcher.stream, status);
    }
  }
  // Outside the lock: a stream may run its caller's cancellation inline.
  for (auto& [stream, status] : told) stream->Write(StatusBytes(status));
}

}  // namespace saludo::services
