#include "services/saludo_service.h"

#include <charconv>
#include <cstring>
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
  // Sized once, then the pieces copied in place: one call into the string
  // (its zero fill is a few dozen bytes) instead of one per piece.
  constexpr absl::string_view kHola = "Hola, ";
  constexpr absl::string_view kServidor = ", te saluda el servidor ";
  char digits[16];  // an int's at most 11 characters
  const std::to_chars_result id =
      std::to_chars(digits, digits + sizeof(digits), server_id);
  SALUDO_CHECK(id.ec == std::errc());
  const size_t id_size = id.ptr - digits;
  out->clear();  // keeps its buffer, if it has one
  out->resize(kHola.size() + nombre.size() + kServidor.size() + id_size);
  char* at = out->data();
  std::memcpy(at, kHola.data(), kHola.size());
  at += kHola.size();
  if (!nombre.empty()) std::memcpy(at, nombre.data(), nombre.size());
  at += nombre.size();
  std::memcpy(at, kServidor.data(), kServidor.size());
  at += kServidor.size();
  std::memcpy(at, digits, id_size);
  SALUDO_CHECK(at + id_size == out->data() + out->size());
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

void SaludoService::Hold(const runtime::ServerCall& call,
                         absl::Duration arrived, absl::Duration hold,
                         Held held) {
  uint64_t key;
  {
    runtime::MutexLock lock(&held_mu_);
    key = next_held_++;
    held_.Insert(key) = std::move(held);
    if (log_) {
      held_for_log_.emplace(key, HeldForLog{absl::ToInt64Nanoseconds(arrived),
                                            std::string(call.peer)});
    }
  }
  faults_->CountHeld(+1);
  const runtime::TimerId timer = timers_->NotifyAfter(hold, this, key);
  {
    runtime::MutexLock lock(&held_mu_);
    if (Held* h = held_.Find(key)) h->timer = timer;
  }
  if (call.set_on_cancel) call.set_on_cancel([this, key] { Drop(key); });
}

SaludoService::HeldForLog SaludoService::TakeForLog(uint64_t key) {
  if (!log_) return HeldForLog();
  auto it = held_for_log_.find(key);
  SALUDO_CHECK(it != held_for_log_.end());
  HeldForLog for_log = std::move(it->second);
  held_for_log_.erase(it);
  return for_log;
}

void SaludoService::Answer(uint64_t key) {
  std::optional<Held> held;
  HeldForLog for_log;
  {
    runtime::MutexLock lock(&held_mu_);
    Held* h = held_.Find(key);
    if (h == nullptr) return;  // dropped or released already
    held.emplace(std::move(*h));
    held_.Erase(key);
    for_log = TakeForLog(key);
  }
  faults_->CountHeld(-1);
  Reply(*held, for_log);
}

void SaludoService::Drop(uint64_t key) {
  runtime::TimerId timer = 0;
  {
    runtime::MutexLock lock(&held_mu_);
    Held* h = held_.Find(key);
    if (h == nullptr) return;
    timer = h->timer;
    held_.Erase(key);  // its responder and request go now
    TakeForLog(key);
  }
  faults_->CountHeld(-1);
  if (timer != 0) timers_->Cancel(timer);
}

void SaludoService::ReleaseAll() {
  std::vector<std::pair<Held, HeldForLog>> held;  // in arrival order
  {
    runtime::MutexLock lock(&held_mu_);
    const std::vector<uint64_t> keys = held_.Ids();
    held.reserve(keys.size());
    for (uint64_t key : keys) {
      held.emplace_back(std::move(held_.At(key)), TakeForLog(key));
      held_.Erase(key);
    }
  }
  faults_->CountHeld(-static_cast<int64_t>(held.size()));
  for (auto& [h, for_log] : held) {
    if (h.timer != 0) timers_->Cancel(h.timer);
    Reply(h, for_log);
  }
}

void SaludoService::Reply(const Held& h, const HeldForLog& for_log) {
  Reply(h.injected_error, h.crash, absl::Nanoseconds(for_log.arrived_ns),
        h.nombre, for_log.peer, h.respond);
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
        // Only the log line says how long a call took.
        const absl::Duration arrived =
            log_ ? clock_->Monotonic() : absl::ZeroDuration();
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
          Hold(call, arrived, plan.hold,
               Held{0, plan.injected_error, plan.crash, request.nombre(),
                    std::move(respond)});
        } else {
          Reply(plan.injected_error, plan.crash, arrived, request.nombre(),
                call.peer, respond);
        }
      });
}

}  // namespace saludo::services
