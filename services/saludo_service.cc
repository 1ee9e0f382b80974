#include "services/saludo_service.h"

#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "proto/service.pb.h"
#include "runtime/check.h"
#include "runtime/typed_rpc.h"

namespace saludo::services {
namespace {

// A name as it appears in a log line: quoted, escaped, and shortened.
std::string LogName(const std::string& nombre) {
  constexpr size_t kShown = 40;
  if (nombre.size() <= kShown) return absl::CHexEscape(nombre);
  return absl::StrCat(absl::CHexEscape(nombre.substr(0, kShown)), "...(",
                      nombre.size(), " bytes)");
}

}  // namespace

std::string Greeting(absl::string_view nombre, int server_id) {
  return absl::StrCat("Hola, ", nombre, ", te saluda el servidor ", server_id);
}

SaludoService::SaludoService(int server_id, runtime::Clock* clock,
                             runtime::Timers* timers, FaultState* faults,
                             CallLog log, runtime::CrashProcess crash)
    : server_id_(server_id),
      clock_(clock),
      timers_(timers),
      faults_(faults),
      log_(std::move(log)),
      crash_(std::move(crash)) {
  SALUDO_CHECK(server_id >= 1);
}

void SaludoService::RegisterWith(runtime::HandlerRegistry& registry) {
  runtime::RegisterUnary<saludoReq, saludoRes>(
      registry, kSaludarMethod,
      [this](const runtime::ServerCall& call, const saludoReq& request,
             runtime::TypedResponder<saludoRes> respond) {
        const absl::Duration arrived = clock_->Monotonic();
        if (request.nombre().size() > kMaxNombreBytes) {
          absl::Status status = absl::InvalidArgumentError(
              absl::StrCat("nombre is ", request.nombre().size(),
                           " bytes; the limit is ", kMaxNombreBytes));
          if (log_) {
            log_(absl::StrCat("servidor ", server_id_,
                              ": saludar peer=", call.peer, " nombre=\"",
                              LogName(request.nombre()), "\" -> ",
                              absl::StatusCodeToString(status.code())));
          }
          respond(status, saludoRes());
          return;
        }
        const CallPlan plan = faults_->PlanCall();
        auto answer = [this, plan, arrived, nombre = request.nombre(),
                       peer = call.peer, respond = std::move(respond)] {
          saludoRes reply;
          if (plan.injected_error.ok()) {
            reply.set_mensaje(Greeting(nombre, server_id_));
            reply.set_server_id(server_id_);
            reply.set_server_time_unix_nanos(absl::ToUnixNanos(clock_->Now()));
          }
          if (log_) {
            log_(absl::StrCat(
                "servidor ", server_id_, ": saludar peer=", peer, " nombre=\"",
                LogName(nombre), "\" -> ",
                absl::StatusCodeToString(plan.injected_error.code()), " after ",
                absl::FormatDuration(absl::Trunc(clock_->Monotonic() - arrived,
                                                 absl::Microseconds(1)))));
          }
          if (plan.crash && crash_) {
            crash_();  // never answers: the process is gone
            return;
          }
          respond(plan.crash ? absl::AbortedError("crash on purpose")
                             : plan.injected_error,
                  reply);
        };
        if (plan.hold > absl::ZeroDuration()) {
          timers_->RunAfter(plan.hold, std::move(answer));
        } else {
          answer();
        }
      });
}

}  // namespace saludo::services
