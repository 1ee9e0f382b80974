// The network seam: unary RPCs as serialized bytes with gRPC status codes.
// absl::StatusCode values equal grpc::StatusCode values, so statuses cross the
// seam unchanged; conversion to grpc::Status happens only in runtime/live.
#ifndef SALUDO_RUNTIME_RPC_H_
#define SALUDO_RUNTIME_RPC_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace saludo::runtime {

// Request metadata: (name, value) pairs in the order sent; names lowercase,
// as gRPC requires.
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct CallOptions {
  // The call fails with DEADLINE_EXCEEDED if it has not completed this long
  // after it started, measured on the caller's clock.
  absl::Duration timeout = absl::InfiniteDuration();
  // Sent with the request (HTTP/2 headers; a proxy can route or hash on it).
  Metadata metadata;
};

// Completion of a client call: the status and, when OK, the reply's bytes.
using CallDone = std::function<void(absl::Status status, std::string reply)>;

// status.code(), without absl's out-of-line call for an OK status (every
// call's status is read this way at least twice in the simulator).
inline absl::StatusCode CodeOf(const absl::Status& status) {
  return status.ok() ? absl::StatusCode::kOk : status.code();
}

// Client side: a channel to one target (a server, or a load balancer).
class Channel {
 public:
  virtual ~Channel() = default;

  // Starts a unary call of `method` (e.g. "/Saludo/saludar"). `done` runs
  // exactly once, never inside this call, possibly on another thread (live).
  virtual void Call(const std::string& method, std::string request,
                    const CallOptions& options, CallDone done) = 0;
};

// A server refuses requests larger than this with RESOURCE_EXHAUSTED before
// any handler sees them (live: gRPC's maximum receive size; simulated: every
// host's transport).
inline constexpr int kMaxRequestBytes = 64 * 1024;

// What runs when a caller gives up on a call before it was answered.
using OnCancel = std::function<void()>;

// What a handler knows about the call it serves. `method` and `peer` are the
// transport's own copies, valid until the call is answered or its caller
// is gone (its on-cancel ran): a handler that keeps one longer copies it.
struct ServerCall {
  absl::string_view method;
  // The caller's address as the transport reports it, e.g.
  // "ipv4:127.0.0.1:53124" live.
  absl::string_view peer;
  // Identifies the call within its server (0 where the transport has none).
  uint64_t id = 0;
  // The transport's word on whether the caller is on this machine (live: a
  // loopback address; simulated: every node models a host on loopback, as
  // the live stack runs on 127.0.0.1).
  bool loopback = false;
  // Registers what runs, once, if the caller gives up (its deadline, a
  // cancellation, the connection gone) before the call is answered: a
  // handler that holds a call frees it there. Never runs after the answer;
  // runs at once if the caller is already gone. Empty when the transport
  // cannot tell (tests' direct calls).
  std::function<void(OnCancel)> set_on_cancel = nullptr;
  // The metadata the caller sent (null: none), and the port the call arrived
  // on (0 where the transport does not say).
  std::shared_ptr<const Metadata> metadata;
  int local_port = 0;
};

// Finishes a server call. Call it exactly once; a reply after the client gave
// up (or the server shut down) is dropped. Safe to call from any thread.
using Responder = std::function<void(absl::Status status, std::string reply)>;

using Handler = std::function<void(const ServerCall& call, std::string request,
                                   Responder respond)>;

// The server's half of a streaming call (server streaming or bidirectional,
// e.g. grpc.health.v1.Health/Watch). Safe to use from any thread, and after
// the call is over (what is written then is dropped).
class ServerStream {
 public:
  virtual ~ServerStream() = default;

  // Queues one message to the caller; messages arrive in the order written.
  virtual void Write(std::string message) = 0;
  // Ends the call with `status` once the queued messages are sent. The first
  // Finish counts; later ones are ignored.
  virtual void Finish(absl::Status status) = 0;
};

// What a streaming handler does with the messages its caller sends.
struct StreamReader {
  // Runs for each message from the caller, in order, one at a time.
  std::function<void(std::string message)> on_message;
  // Runs once when the caller has sent its last message (half close).
  std::function<void()> on_half_close;
};

// Starts serving a streaming call: returns what to do with the caller's
// messages. `call.set_on_cancel` tells when the caller gives up, as for a
// unary call. The handler may keep `stream` as long as it likes.
using StreamHandler = std::function<StreamReader(
    const ServerCall& call, std::shared_ptr<ServerStream> stream)>;

// Server side: where services register their methods.
class HandlerRegistry {
 public:
  virtual ~HandlerRegistry() = default;

  // Routes calls of `method` to `handler`. Calls of unregistered methods fail
  // with UNIMPLEMENTED.
  // REQUIRES: the server has not started; `method` is not registered yet.
  virtual void Register(const std::string& method, Handler handler) = 0;

  // Routes streaming calls of `method` to `handler`. Live, any gRPC stream;
  // simulated, server streaming (the caller sends one message, then closes:
  // sim::Network::StartStream).
  // REQUIRES: as for Register.
  virtual void RegisterStream(const std::string& method,
                              StreamHandler handler) = 0;
};

// Ends the calling process at once, as a crash would (fault injection):
// every connection to it resets, nothing is answered. Live: the process
// exits with code 70. Simulated: the node crashes (right after the current
// event) and its host is booted again only by a restart. Given to hosts in
// runtime::HostContext::crash.
using CrashProcess = std::function<void()>;

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_RPC_H_
