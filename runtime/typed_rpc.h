// Typed wrappers over the byte-level seam, so service and client code deal in
// generated message types.
#ifndef SALUDO_RUNTIME_TYPED_RPC_H_
#define SALUDO_RUNTIME_TYPED_RPC_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "runtime/rpc.h"

namespace saludo::runtime {

// Calls `method` with `request`; `done` gets the parsed reply when OK. A reply
// that does not parse as `Reply` completes with INTERNAL.
template <class Reply, class Request>
void CallUnary(Channel& channel, const std::string& method,
               const Request& request, const CallOptions& options,
               std::function<void(absl::Status, Reply)> done) {
  channel.Call(
      method, request.SerializeAsString(), options,
      [done = std::move(done), method](absl::Status status, std::string bytes) {
        Reply reply;
        if (status.ok() && !reply.ParseFromString(bytes)) {
          status =
              absl::InternalError("reply of " + method + " does not parse as " +
                                  Reply::descriptor()->full_name());
        }
        done(std::move(status), std::move(reply));
      });
}

// Finishes a typed server call: serializes the reply (when OK) and hands the
// bytes to the transport's Responder. A value type around that Responder, so
// a call's typed responder costs no allocation of its own. Call it exactly
// once, as a Responder; an empty one (default-constructed) must not be called.
template <class Reply>
class TypedResponder {
 public:
  TypedResponder() = default;
  explicit TypedResponder(Responder respond) : respond_(std::move(respond)) {}

  void operator()(const absl::Status& status, const Reply& reply) const {
    respond_(status, status.ok() ? reply.SerializeAsString() : std::string());
  }

 private:
  Responder respond_;
};

// Where a thread parses or builds messages of type M: one M per thread,
// reused, so its string fields keep their buffers (a parse, or a field
// rebuilt in place, allocates nothing once they are big enough). A use
// nested in another on the same thread (a handler that serves a call of its
// own type inline) gets a fresh M instead. What a use leaves in the message
// stays there: a builder clears it first (ParseFromString does).
template <class M>
class MessageScratch {
 public:
  MessageScratch() : nested_(Busy()) {
    if (nested_) {
      own_.emplace();
    } else {
      Busy() = true;
    }
  }
  ~MessageScratch() {
    if (!nested_) Busy() = false;
  }
  MessageScratch(const MessageScratch&) = delete;
  MessageScratch& operator=(const MessageScratch&) = delete;

  // Valid while this object lives; ParseFromString clears what a previous
  // parse left.
  M& message() { return nested_ ? *own_ : Shared(); }

 private:
  static bool& Busy() {
    static thread_local bool busy = false;
    return busy;
  }
  static M& Shared() {
    static thread_local M message;
    return message;
  }
  const bool nested_;
  std::optional<M> own_;
};

// Registers a handler of typed messages. A request that does not parse as
// `Request` (e.g. invalid UTF-8 in a string field) gets INVALID_ARGUMENT and
// never reaches `handler`.
template <class Request, class Reply>
void RegisterUnary(HandlerRegistry& registry, const std::string& method,
                   std::function<void(const ServerCall&, const Request&,
                                      TypedResponder<Reply>)>
                       handler) {
  registry.Register(method, [handler = std::move(handler)](
                                const ServerCall& call, std::string bytes,
                                Responder respond) {
    MessageScratch<Request> scratch;
    const Request& request = scratch.message();
    if (!scratch.message().ParseFromString(bytes)) {
      respond(absl::InvalidArgumentError("request does not parse as " +
                                         Request::descriptor()->full_name()),
              "");
      return;
    }
    handler(call, request, TypedResponder<Reply>(std::move(respond)));
  });
}

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_TYPED_RPC_H_
