// Test doubles for the seam: a manual clock with timers that run when the
// test advances time, and a registry that calls handlers directly.
#ifndef SALUDO_RUNTIME_TESTING_FAKES_H_
#define SALUDO_RUNTIME_TESTING_FAKES_H_

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/clock.h"
#include "runtime/rpc.h"
#include "runtime/timers.h"

namespace saludo::runtime::testing {

// Time moves only when the test calls Advance; due timers run in (deadline,
// id) order during Advance.
class ManualClock final : public Clock, public Timers {
 public:
  explicit ManualClock(
      absl::Time wall_start = absl::FromUnixSeconds(1700000000))
      : wall_start_(wall_start) {}

  absl::Time Now() override { return wall_start_ + now_ + offset_; }
  absl::Duration Monotonic() override { return now_; }
  void SetWallOffset(absl::Duration offset) override { offset_ = offset; }
  absl::Duration WallOffset() override { return offset_; }
  // Later Advance(d) moves this clock by d * (1 + drift_ppb / 1e9).
  void SetDriftPpb(int64_t drift_ppb) override { drift_ppb_ = drift_ppb; }

  TimerId RunAfter(absl::Duration delay,
                   std::function<void()> callback) override {
    const TimerId id = next_id_++;
    timers_.emplace(
        std::make_pair(now_ + std::max(delay, absl::ZeroDuration()), id),
        std::move(callback));
    return id;
  }
  bool Cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Moves true time forward by `d` (this clock by `d` and its drift),
  // running every timer that falls due.
  void Advance(absl::Duration d) {
    const absl::Duration end =
        now_ + d + d * (static_cast<double>(drift_ppb_) / 1e9);
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto first = timers_.begin();
      now_ = first->first.first;
      std::function<void()> callback = std::move(first->second);
      timers_.erase(first);
      callback();
    }
    now_ = end;
  }

  size_t pending_timers() const { return timers_.size(); }

 private:
  absl::Time wall_start_;
  absl::Duration now_ = absl::ZeroDuration();
  absl::Duration offset_ = absl::ZeroDuration();
  int64_t drift_ppb_ = 0;
  TimerId next_id_ = 1;
  std::map<std::pair<absl::Duration, TimerId>, std::function<void()>> timers_;
};

// A stream's server half that hands each write straight to the caller.
struct DirectStream final : ServerStream {
  void Write(std::string message) override {
    if (!finished) on_message(std::move(message));
  }
  void Finish(absl::Status status) override {
    if (finished) return;
    finished = true;
    done(std::move(status), "");
  }
  std::function<void(std::string)> on_message;
  CallDone done;
  OnCancel on_cancel;
  bool finished = false;
};

// Holds registered handlers; Call invokes one directly (no network).
class DirectRegistry final : public HandlerRegistry {
 public:
  void Register(const std::string& method, Handler handler) override {
    handlers_[method] = std::move(handler);
  }
  void RegisterStream(const std::string& method,
                      StreamHandler handler) override {
    streams_[method] = std::move(handler);
  }

  // A stream straight into the handler of `method`: sends `request`, half
  // closes, and passes what the handler writes to `on_message` and its
  // status to `done` (once). Returns the call's cancel hook (what the
  // handler registered with set_on_cancel, or an empty function): calling
  // it models the caller going away.
  std::function<void()> OpenStream(
      const std::string& method, std::string request,
      std::function<void(std::string)> on_message, CallDone done) {
    auto it = streams_.find(method);
    if (it == streams_.end()) {
      done(absl::UnimplementedError(method), "");
      return nullptr;
    }
    auto stream = std::make_shared<DirectStream>();
    stream->on_message = std::move(on_message);
    stream->done = std::move(done);
    ServerCall call;
    call.method = method;
    call.peer = "ipv4:127.0.0.1:40000";
    call.loopback = true;
    call.set_on_cancel = [stream](OnCancel on_cancel) {
      stream->on_cancel = std::move(on_cancel);
    };
    StreamReader reader = it->second(call, stream);
    if (reader.on_message) reader.on_message(std::move(request));
    if (reader.on_half_close) reader.on_half_close();
    return [stream] {
      if (stream->finished) return;
      stream->finished = true;
      if (stream->on_cancel) stream->on_cancel();
    };
  }

  // Calls `method` as a caller at `peer` (on this machine if `loopback`);
  // `done` runs when the handler responds.
  void Call(const std::string& method, std::string request, CallDone done,
            const std::string& peer = "ipv4:127.0.0.1:40000",
            bool loopback = true) {
    auto it = handlers_.find(method);
    if (it == handlers_.end()) {
      done(absl::UnimplementedError(method), "");
      return;
    }
    ServerCall call;
    call.method = method;
    call.peer = peer;
    call.loopback = loopback;
    it->second(call, std::move(request), std::move(done));
  }

 private:
  std::map<std::string, Handler> handlers_;
  std::map<std::string, StreamHandler> streams_;
};

// A channel straight into a DirectRegistry, with deadlines on a ManualClock:
// whichever of reply and deadline comes first completes the call.
class DirectChannel final : public Channel {
 public:
  DirectChannel(DirectRegistry* registry, ManualClock* clock)
      : registry_(registry), clock_(clock) {}

  void Call(const std::string& method, std::string request,
            const CallOptions& options, CallDone done) override {
    auto state =
        std::make_shared<std::pair<bool, CallDone>>(false, std::move(done));
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    auto finish = [this, state](absl::Status status, std::string reply) {
      if (state->first) return;
      state->first = true;
      --in_flight_;
      state->second(std::move(status), std::move(reply));
    };
    if (options.timeout != absl::InfiniteDuration()) {
      clock_->RunAfter(options.timeout, [finish] {
        finish(absl::DeadlineExceededError("deadline exceeded"), "");
      });
    }
    // Completions never run inside Call (the seam's contract).
    clock_->RunAfter(absl::ZeroDuration(), [this, method, request, finish] {
      registry_->Call(method, request, finish);
    });
  }

  int max_in_flight() const { return max_in_flight_; }

 private:
  DirectRegistry* registry_;
  ManualClock* clock_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

}  // namespace saludo::runtime::testing

#endif  // SALUDO_RUNTIME_TESTING_FAKES_H_
