#include "runtime/live/grpc_stream.h"

#include <deque>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "runtime/live/grpc_server.h"
#include "runtime/live/grpc_status.h"
#include "runtime/live/tsan_annotations.h"
#include "runtime/sync.h"

namespace saludo::runtime::live {
namespace {

class StreamReactor;

// Shared by the reactor and the ServerStream the handler holds, which may
// outlive the reactor. Every decision to write or finish is taken under `mu`
// and carried out outside it (gRPC may run reactions on the calling thread).
struct StreamState {
  runtime::Mutex mu;
  StreamReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;  // null once done
  std::deque<std::string> queue ABSL_GUARDED_BY(mu);
  bool writing ABSL_GUARDED_BY(mu) = false;  // one write in flight at most
  bool finish_requested ABSL_GUARDED_BY(mu) = false;
  absl::Status finish_status ABSL_GUARDED_BY(mu);
  bool finish_started ABSL_GUARDED_BY(mu) = false;
  bool cancelled ABSL_GUARDED_BY(mu) = false;  // caller gone or stream broken
  runtime::OnCancel on_cancel ABSL_GUARDED_BY(mu);
};

// Starts the next write, or the finish, if one is due.
void Pump(StreamState& state);

class Stream final : public ServerStream {
 public:
  explicit Stream(std::shared_ptr<StreamState> state)
      : state_(std::move(state)) {}

  void Write(std::string message) override {
    {
      runtime::MutexLock lock(&state_->mu);
      if (state_->finish_requested || state_->cancelled) return;
      state_->queue.push_back(std::move(message));
    }
    Pump(*state_);
  }

  void Finish(absl::Status status) override {
    {
      runtime::MutexLock lock(&state_->mu);
      if (state_->finish_requested) return;
      state_->finish_requested = true;
      state_->finish_status = std::move(status);
    }
    Pump(*state_);
  }

 private:
  const std::shared_ptr<StreamState> state_;
};

class StreamReactor final : public grpc::ServerGenericBidiReactor {
 public:
  StreamReactor(grpc::GenericCallbackServerContext* context,
                const std::string& method, const StreamHandler& handler)
      : state_(std::make_shared<StreamState>()) {
    {
      runtime::MutexLock lock(&state_->mu);
      state_->reactor = this;
    }
    HappensBefore(this);  // gRPC runs the callbacks below on its threads
    ServerCall call;
    call.method = method;
    {
      GrpcOwnedScope grpc_owned;
      peer_ = context->peer();
    }
    call.peer = peer_;
    call.loopback = IsLoopbackPeer(call.peer);
    std::shared_ptr<StreamState> state = state_;
    call.set_on_cancel = [state](runtime::OnCancel on_cancel) {
      {
        runtime::MutexLock lock(&state->mu);
        if (!state->cancelled) {
          if (!state->finish_started) state->on_cancel = std::move(on_cancel);
          return;
        }
      }
      on_cancel();
    };
    reader_ = handler(call, std::make_shared<Stream>(state_));
    ReadNext();
  }

  void OnReadDone(bool ok) override {
    HappensAfter(this);
    if (!ok) {
      if (reader_.on_half_close) reader_.on_half_close();
      return;
    }
    std::string message;
    {
      GrpcOwnedScope grpc_owned;
      message = ByteBufferToString(request_);
    }
    if (reader_.on_message) reader_.on_message(std::move(message));
    ReadNext();
  }

  void OnWriteDone(bool ok) override {
    HappensAfter(this);
    {
      runtime::MutexLock lock(&state_->mu);
      state_->writing = false;
      if (!ok) {  // the stream broke: nothing more can be sent
        state_->cancelled = true;
        state_->queue.clear();
      }
    }
    Pump(*state_);
  }

  void OnCancel() override {
    HappensAfter(this);
    runtime::OnCancel on_cancel;
    {
      runtime::MutexLock lock(&state_->mu);
      state_->cancelled = true;
      state_->queue.clear();
      on_cancel = std::move(state_->on_cancel);
      state_->on_cancel = nullptr;
    }
    Pump(*state_);
    if (on_cancel) on_cancel();  // the handler lets go of what it held
  }

  void OnDone() override {
    HappensAfter(this);
    {
      runtime::MutexLock lock(&state_->mu);
      state_->reactor = nullptr;
    }
    GrpcOwnedScope grpc_owned;  // gRPC's buffers and reactor base
    delete this;
  }

  void SendOne(const std::string& message) {
    HappensBefore(this);  // OnWriteDone follows, on a gRPC thread
    GrpcOwnedScope grpc_owned;
    reply_ = StringToByteBuffer(message);
    StartWrite(&reply_);
  }

  void FinishWith(const absl::Status& status) {
    HappensBefore(this);  // OnDone follows Finish, on a gRPC thread
    const grpc::Status grpc_status = ToGrpcStatus(status);
    GrpcOwnedScope grpc_owned;
    Finish(grpc_status);
  }

 private:
  // Reads the caller's next message unless the call is finishing.
  void ReadNext() {
    {
      runtime::MutexLock lock(&state_->mu);
      if (state_->finish_started) return;
    }
    HappensBefore(this);
    GrpcOwnedScope grpc_owned;
    StartRead(&request_);
  }

  const std::shared_ptr<StreamState> state_;
  std::string peer_;  // what ServerCall::peer points at
  StreamReader reader_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer reply_;
};

void Pump(StreamState& state) {
  StreamReactor* reactor = nullptr;
  std::string message;
  absl::Status status;
  bool finish = false;
  {
    runtime::MutexLock lock(&state.mu);
    // The reactor lives until OnDone, which follows the finish, which
    // follows the last write: while we start either, it is there.
    if (state.finish_started || state.writing || state.reactor == nullptr) {
      return;
    }
    reactor = state.reactor;
    if (!state.queue.empty()) {
      state.writing = true;
      message = std::move(state.queue.front());
      state.queue.pop_front();
    } else if (state.finish_requested || state.cancelled) {
      state.finish_started = true;
      state.on_cancel = nullptr;  // answered: never runs
      status = state.cancelled ? absl::CancelledError("call cancelled")
                               : state.finish_status;
      finish = true;
    } else {
      return;
    }
  }
  if (finish) {
    reactor->FinishWith(status);
  } else {
    reactor->SendOne(message);
  }
}

}  // namespace

grpc::ServerGenericBidiReactor* NewStreamReactor(
    grpc::GenericCallbackServerContext* context, const std::string& method,
    const StreamHandler* handler) {
  return new StreamReactor(context, method, *handler);
}

}  // namespace saludo::runtime::live
