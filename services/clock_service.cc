#include "services/clock_service.h"

#include "proto/clock.pb.h"
#include "runtime/typed_rpc.h"

namespace saludo::services {

ClockService::ClockService(int server_id, runtime::Clock* clock)
    : server_id_(server_id), clock_(clock) {}

void ClockService::RegisterWith(runtime::HandlerRegistry& registry) {
  runtime::RegisterUnary<clock::ReadRequest, clock::ReadReply>(
      registry, kClockReadMethod,
      [this](const runtime::ServerCall&, const clock::ReadRequest&,
             runtime::TypedResponder<clock::ReadReply> respond) {
        clock::ReadReply reply;
        reply.set_receive_unix_nanos(absl::ToUnixNanos(clock_->Now()));
        reply.set_server_id(server_id_);
        reply.set_transmit_unix_nanos(absl::ToUnixNanos(clock_->Now()));
        respond(absl::OkStatus(), reply);
      });
}

}  // namespace saludo::services
