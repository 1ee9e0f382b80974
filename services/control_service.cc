#include "services/control_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/control.pb.h"
#include "runtime/typed_rpc.h"

namespace saludo::services {
namespace {

absl::Status CheckPeer(const runtime::ServerCall& call) {
  if (call.loopback) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "the control service accepts only loopback peers, not ", call.peer));
}

}  // namespace

ControlService::ControlService(int server_id, FaultState* faults,
                               ClockDiscipline* discipline)
    : server_id_(server_id), faults_(faults), discipline_(discipline) {}

void ControlService::RegisterWith(runtime::HandlerRegistry& registry) {
  using control::Empty;
  using control::FaultsReport;
  using control::SetFaultsRequest;
  auto report = [this] {
    FaultsReport r = faults_->Report();
    r.set_server_id(server_id_);
    return r;
  };
  runtime::RegisterUnary<SetFaultsRequest, FaultsReport>(
      registry, kSetFaultsMethod,
      [this, report](const runtime::ServerCall& call,
                     const SetFaultsRequest& request,
                     runtime::TypedResponder<FaultsReport> respond) {
        absl::Status status = CheckPeer(call);
        if (status.ok()) status = FaultState::Validate(request.faults());
        if (!status.ok()) {
          respond(status, FaultsReport());
          return;
        }
        faults_->Set(request.faults());
        respond(absl::OkStatus(), report());
      });
  runtime::RegisterUnary<Empty, FaultsReport>(
      registry, kClearFaultsMethod,
      [this, report](const runtime::ServerCall& call, const Empty&,
                     runtime::TypedResponder<FaultsReport> respond) {
        absl::Status status = CheckPeer(call);
        if (!status.ok()) {
          respond(status, FaultsReport());
          return;
        }
        faults_->Clear();
        // A coordinator's corrections go too: a bogus AdjustClock is undone
        // the same way as any fault.
        if (discipline_ != nullptr) discipline_->Reset();
        respond(absl::OkStatus(), report());
      });
  if (discipline_ != nullptr) {
    runtime::RegisterUnary<control::AdjustClockRequest,
                           control::AdjustClockReply>(
        registry, kAdjustClockMethod,
        [this](const runtime::ServerCall& call,
               const control::AdjustClockRequest& request,
               runtime::TypedResponder<control::AdjustClockReply> respond) {
          control::AdjustClockReply reply;
          absl::Status status = CheckPeer(call);
          if (status.ok()) {
            status = discipline_->Adjust(
                absl::Nanoseconds(request.correction_nanos()),
                request.allow_step());
          }
          if (status.ok()) {
            reply.set_pending_nanos(
                absl::ToInt64Nanoseconds(discipline_->Pending()));
            reply.set_server_id(server_id_);
          }
          respond(status, reply);
        });
  }
  runtime::RegisterUnary<Empty, FaultsReport>(
      registry, kGetFaultsMethod,
      [report](const runtime::ServerCall& call, const Empty&,
               runtime::TypedResponder<FaultsReport> respond) {
        absl::Status status = CheckPeer(call);
        respond(status, status.ok() ? report() : FaultsReport());
      });
}

}  // namespace saludo::services
