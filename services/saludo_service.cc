#include "services/saludo_service.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "runtime/check.h"

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

void WriteGreeting(absl::string_view nombre, int server_id, std::string* out) {
  out->clear();  // keeps its buffer
  absl::StrAppend(out, "Hola, ", nombre, ", te saluda el servidor ", server_id);
}

std::string Greeting(absl::string_view nombre, int server_id) {
  std::string greeting;
  WriteGreeting(nombre, server_id, &greeting);
  return greeting;
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
  faults_->SetOnClear([this] { ReleaseAll(); });
}

SaludoService::~SaludoService() { faults_->SetOnClear(nullptr); }

void SaludoService::Hold(const runtime::ServerCall& call, absl::Duration hold,
                         Held held) {
  uint64_t key;
  {
    runtime::MutexLock lock(&held_mu_);
    key = next_held_++;
    held_.Insert(key) = std::move(held);
  }
  faults_->CountHeld(+1);
  const runtime::TimerId timer =
      timers_->RunAfter(hold, [this, key] { Answer(key); });
  {
    runtime::MutexLock lock(&held_mu_);
    if (Held* h = held_.Find(key)) h->timer = timer;
  }
  if (call.set_on_cancel) call.set_on_cancel([this, key] { Drop(key); });
}

void SaludoService::Answer(uint64_t key) {
  std::optional<Held> held;
  {
    runtime::MutexLock lock(&held_mu_);
    Held* h = held_.Find(key);
    if (h == nullptr) return;  // dropped or released already
    held.emplace(std::move(*h));
    held_.Erase(key);
  }
  faults_->CountHeld(-1);
  Reply(*held);
}

void SaludoService::Drop(uint64_t key) {
  runtime::TimerId timer = 0;
  {
    runtime::MutexLock lock(&held_mu_);
    Held* h = held_.Find(key);
    if (h == nullptr) return;
    timer = h->timer;
    held_.Erase(key);  // its responder and request go now
  }
  faults_->CountHeld(-1);
  if (timer != 0) timers_->Cancel(timer);
}

void SaludoService::ReleaseAll() {
  std::vector<Held> held;  // in arrival order
  {
    runtime::MutexLock lock(&held_mu_);
    const std::vector<uint64_t> keys = held_.Ids();
    held.reserve(keys.size());
    for (uint64_t key : keys) {
      held.push_back(std::move(held_.At(key)));
      held_.Erase(key);
    }
  }
  faults_->CountHeld(-static_cast<int64_t>(held.size()));
  for (Held& h : held) {
    if (h.timer != 0) timers_->Cancel(h.timer);
    Reply(h);
  }
}

void SaludoService::Reply(const Held& h) {
  Reply(h.injected_error, h.crash, absl::Nanoseconds(h.arrived_ns), h.nombre,
        h.peer != nullptr ? absl::string_view(*h.peer) : absl::string_view(),
        h.respond);
}

void SaludoService::Reply(const absl::Status& injected_error, bool crash,
                          absl::Duration arrived, const std::string& nombre,
                          absl::string_view peer,
                          const runtime::TypedResponder<saludoRes>& respond) {
  // Built in this thread's reused message: the greeting is written into the
  // buffer the last reply's left (no allocation, no message to destroy).
  runtime::MessageScratch<saludoRes> scratch;
  saludoRes& reply = scratch.message();
  reply.Clear();
  if (injected_error.ok()) {
    WriteGreeting(nombre, server_id_, reply.mutable_mensaje());
    reply.set_server_id(server_id_);
    reply.set_server_time_unix_nanos(absl::ToUnixNanos(clock_->Now()));
  }
  if (log_) {
    log_(absl::StrCat(
        "servidor ", server_id_, ": saludar peer=", peer, " nombre=\"",
        LogName(nombre), "\" -> ",
        absl::StatusCodeToString(injected_error.code()), " after ",
        absl::FormatDuration(absl::Trunc(clock_->Monotonic() - arrived,
                                         absl::Microseconds(1)))));
  }
  if (crash && crash_) {
    crash_();  // never answers: the process is gone
    return;
  }
  respond(crash ? absl::AbortedError("crash on purpose") : injected_error,
          reply);
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
        if (plan.hold > absl::ZeroDuration()) {
          Hold(call, plan.hold,
               Held{0, plan.injected_error, absl::ToInt64Nanoseconds(arrived),
                    plan.crash, request.nombre(),
                    log_ ? std::make_unique<const std::string>(call.peer)
                         : nullptr,
                    std::move(respond)});
        } else {
          Reply(plan.injected_error, plan.crash, arrived, request.nombre(),
                call.peer, respond);
        }
      });
}

}  // namespace saludo::services
