#include "client/berkeley.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "proto/control.pb.h"
#include "runtime/typed_rpc.h"
#include "services/control_service.h"

namespace saludo::client {

BerkeleyRound PlanBerkeleyRound(const std::vector<OffsetEstimate>& estimates,
                                absl::Duration outlier_threshold) {
  BerkeleyRound round;
  round.estimates = estimates;
  // The coordinator's own clock counts as one more member, at offset 0.
  std::vector<absl::Duration> all = {absl::ZeroDuration()};
  for (const OffsetEstimate& e : estimates) all.push_back(e.offset);
  std::vector<absl::Duration> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  const absl::Duration median = sorted[sorted.size() / 2];
  absl::Duration sum = absl::ZeroDuration();
  int members = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const bool outlier = absl::AbsDuration(all[i] - median) > outlier_threshold;
    if (i > 0) round.outlier.push_back(outlier);
    if (!outlier) {
      sum += all[i];
      ++members;
    }
  }
  round.average = sum / std::max(members, 1);
  for (const OffsetEstimate& e : estimates) {
    round.corrections.push_back(round.average - e.offset);
  }
  return round;
}

BerkeleyCoordinator::BerkeleyCoordinator(runtime::Clock* clock,
                                         runtime::Timers* timers,
                                         std::vector<runtime::Channel*> servers,
                                         BerkeleyOptions options)
    : clock_(clock),
      timers_(timers),
      servers_(std::move(servers)),
      options_(options) {}

void BerkeleyCoordinator::RunRound(
    std::function<void(absl::StatusOr<BerkeleyRound>)> done) {
  done_ = std::move(done);
  estimates_.clear();
  samplers_.clear();
  SampleNext(0);
}

void BerkeleyCoordinator::SampleNext(size_t i) {
  if (i == servers_.size()) {
    // Corrections go out one at a time: completions may arrive on several
    // threads (live), and one at a time needs no lock and is deterministic.
    SendCorrection(std::make_shared<BerkeleyRound>(PlanBerkeleyRound(
                       estimates_, options_.outlier_threshold)),
                   0);
    return;
  }
  samplers_.push_back(
      std::make_unique<ClockSampler>(clock_, servers_[i], timers_));
  samplers_.back()->Sample(
      options_.samples, options_.spacing, options_.timeout,
      [this, i](absl::StatusOr<std::vector<ClockSample>> samples) {
        if (!samples.ok()) {
          auto done = std::move(done_);
          done_ = nullptr;
          done(samples.status());
          return;
        }
        estimates_.push_back(MinimumDelayEstimate(*samples, SyncMethod::kNtp));
        SampleNext(i + 1);
      });
}

void BerkeleyCoordinator::SendCorrection(std::shared_ptr<BerkeleyRound> round,
                                         size_t k) {
  if (k == servers_.size()) {
    auto done = std::move(done_);
    done_ = nullptr;
    done(*round);
    return;
  }
  control::AdjustClockRequest request;
  request.set_correction_nanos(absl::ToInt64Nanoseconds(round->corrections[k]));
  request.set_allow_step(options_.allow_step);
  runtime::CallOptions call;
  call.timeout = options_.timeout;
  runtime::CallUnary<control::AdjustClockReply>(
      *servers_[k], services::kAdjustClockMethod, request, call,
      [this, round, k](absl::Status status, control::AdjustClockReply) {
        if (!status.ok()) {
          auto done = std::move(done_);
          done_ = nullptr;
          done(status);
          return;
        }
        SendCorrection(round, k + 1);
      });
}

}  // namespace saludo::client
