#include "runtime/live/grpc_server.h"

#include <grpc/grpc.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/check.h"
#include "runtime/live/grpc_status.h"
#include "runtime/live/grpc_stream.h"
#include "runtime/live/tsan_annotations.h"
#include "runtime/sync.h"

namespace saludo::runtime::live {

bool IsLoopbackPeer(absl::string_view peer) {
  // gRPC 1.51 percent-encodes the brackets of IPv6 addresses.
  for (const char* prefix :
       {"ipv4:127.", "ipv6:[::1]", "ipv6:%5B::1%5D", "ipv6:[::ffff:127.",
        "ipv6:%5B::ffff:127.", "unix:"}) {
    if (absl::StartsWith(peer, prefix)) return true;
  }
  return false;
}
namespace {

// Why binding host:port failed, found by trying it ourselves (gRPC only says
// that it failed).
std::string ExplainBindFailure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* results = nullptr;
  const std::string address = absl::StrCat(host, ":", port);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints,
                           &results);
      rc != 0) {
    return absl::StrCat("cannot listen on ", address, ": ", gai_strerror(rc));
  }
  std::string why = absl::StrCat("cannot listen on ", address);
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      why = errno == EADDRINUSE ? absl::StrCat(address, " is already in use")
                                : absl::StrCat("cannot listen on ", address,
                                               ": ", std::strerror(errno));
    }
    close(fd);
  }
  freeaddrinfo(results);
  return why;
}

}  // namespace

// Serves one unary call: reads the request, runs the handler, and finishes
// exactly once: with the handler's reply, or CANCELLED if the call is
// cancelled first (client gone, deadline, server shutdown).
class UnaryReactor final : public grpc::ServerGenericBidiReactor {
 public:
  UnaryReactor(grpc::GenericCallbackServerContext* context, std::string method,
               const Handler* handler)
      : context_(context),
        method_(std::move(method)),
        handler_(handler),
        finish_right_(std::make_shared<FinishRight>()) {
    finish_right_->reactor = this;
    HappensBefore(this);  // gRPC runs the callbacks below on its threads
    if (handler_ == nullptr) {
      TryFinish(
          absl::UnimplementedError(absl::StrCat("unknown method ", method_)),
          "");
      return;
    }
    GrpcOwnedScope grpc_owned;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    HappensAfter(this);
    if (!ok) {
      TryFinish(absl::InvalidArgumentError("the call carried no request"), "");
      return;
    }
    ServerCall call;
    call.method = method_;
    std::string request;
    {
      GrpcOwnedScope grpc_owned;
      peer_ = context_->peer();
      call.peer = peer_;
      call.loopback = IsLoopbackPeer(call.peer);
      request = ByteBufferToString(request_);
      // What the caller attached, gRPC's own headers aside (most calls
      // attach nothing: then nothing is allocated).
      runtime::Metadata attached;
      for (const auto& [name, value] : context_->client_metadata()) {
        const absl::string_view key(name.data(), name.size());
        if (absl::StartsWith(key, "grpc-") || key == "user-agent") continue;
        attached.emplace_back(std::string(key),
                              std::string(value.data(), value.size()));
      }
      if (!attached.empty()) {
        call.metadata =
            std::make_shared<const runtime::Metadata>(std::move(attached));
      }
    }
    std::shared_ptr<FinishRight> right = finish_right_;
    call.set_on_cancel = [right](runtime::OnCancel on_cancel) {
      FinishRight::SetOnCancel(*right, std::move(on_cancel));
    };
    (*handler_)(call, std::move(request),
                [right](absl::Status status, std::string reply) {
                  FinishRight::Use(*right, std::move(status), std::move(reply));
                });
  }

  void OnCancel() override {
    HappensAfter(this);
    runtime::OnCancel on_cancel = FinishRight::Cancel(*finish_right_);
    TryFinish(absl::CancelledError("call cancelled"), "");
    if (on_cancel) on_cancel();  // the handler lets go of what it held
  }

  void OnDone() override {
    HappensAfter(this);
    GrpcOwnedScope grpc_owned;  // gRPC's request/reply buffers and reactor base
    delete this;
  }

 private:
  // Whoever takes `reactor` first finishes the call; later attempts (a reply
  // after cancellation, a second reply) are dropped. Shared with responders,
  // which may outlive the reactor.
  struct FinishRight {
    runtime::Mutex mu;
    UnaryReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
    bool cancelled ABSL_GUARDED_BY(mu) = false;
    runtime::OnCancel on_cancel ABSL_GUARDED_BY(mu);

    // The handler's cancellation hook: kept until the call is answered or
    // cancelled; run at once if it already was cancelled.
    static void SetOnCancel(FinishRight& right, runtime::OnCancel on_cancel) {
      {
        runtime::MutexLock lock(&right.mu);
        if (!right.cancelled) {
          if (right.reactor != nullptr) right.on_cancel = std::move(on_cancel);
          return;
        }
      }
      on_cancel();
    }

    // Marks the call cancelled; returns the hook to run (outside the lock).
    static runtime::OnCancel Cancel(FinishRight& right) {
      runtime::MutexLock lock(&right.mu);
      right.cancelled = true;
      return std::move(right.on_cancel);
    }

    static void Use(FinishRight& right, absl::Status status,
                    std::string reply) {
      UnaryReactor* reactor;
      {
        runtime::MutexLock lock(&right.mu);
        reactor = right.reactor;
        right.reactor = nullptr;
        right.on_cancel = nullptr;  // answered: never runs
      }
      // The reactor stays alive until Finish completes (OnDone follows it).
      if (reactor != nullptr) reactor->FinishWith(std::move(status), reply);
    }
  };

  void TryFinish(absl::Status status, std::string reply) {
    FinishRight::Use(*finish_right_, std::move(status), std::move(reply));
  }

  void FinishWith(absl::Status status, const std::string& reply) {
    HappensBefore(this);  // OnDone follows Finish, on a gRPC thread
    const grpc::Status grpc_status = ToGrpcStatus(status);
    GrpcOwnedScope grpc_owned;
    if (status.ok()) {
      reply_ = StringToByteBuffer(reply);
      StartWriteAndFinish(&reply_, grpc::WriteOptions(), grpc_status);
    } else {
      Finish(grpc_status);
    }
  }

  grpc::GenericCallbackServerContext* const context_;
  const std::string method_;
  std::string peer_;  // what ServerCall::peer points at
  const Handler* const handler_;
  std::shared_ptr<FinishRight> finish_right_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer reply_;
};

class GrpcServer::Service final : public grpc::CallbackGenericService {
 public:
  Service(const std::map<std::string, runtime::Handler>* handlers,
          const std::map<std::string, runtime::StreamHandler>* streams)
      : handlers_(handlers), streams_(streams) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    // gRPC's threads may predate this server (they are shared between
    // servers): what Start wrote is ordered before through gRPC.
    HappensAfter(this);
    std::string method;
    {
      GrpcOwnedScope grpc_owned;  // written by gRPC on another thread
      method = context->method();
    }
    if (auto stream = streams_->find(method); stream != streams_->end()) {
      return NewStreamReactor(context, method, &stream->second);
    }
    auto it = handlers_->find(method);
    return new UnaryReactor(context, std::move(method),
                            it == handlers_->end() ? nullptr : &it->second);
  }

 private:
  const std::map<std::string, runtime::Handler>* const handlers_;
  const std::map<std::string, runtime::StreamHandler>* const streams_;
};

GrpcServer::GrpcServer() = default;

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::Register(const std::string& method, Handler handler) {
  SALUDO_CHECK(server_ == nullptr);
  SALUDO_CHECK(streams_.count(method) == 0);
  const bool inserted = handlers_.emplace(method, std::move(handler)).second;
  SALUDO_CHECK(inserted);
}

void GrpcServer::RegisterStream(const std::string& method,
                                StreamHandler handler) {
  SALUDO_CHECK(server_ == nullptr);
  SALUDO_CHECK(handlers_.count(method) == 0);
  const bool inserted = streams_.emplace(method, std::move(handler)).second;
  SALUDO_CHECK(inserted);
}

absl::StatusOr<int> GrpcServer::Start(const std::string& host, int port) {
  SALUDO_CHECK(server_ == nullptr);
  service_ = std::make_unique<Service>(&handlers_, &streams_);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  const std::string address = host.find(':') != std::string::npos
                                  ? absl::StrCat("[", host, "]:", port)
                                  : absl::StrCat(host, ":", port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &bound_port);
  // gRPC sets SO_REUSEPORT by default, which would let a second server share
  // the port silently; an address in use must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  builder.RegisterCallbackGenericService(service_.get());
  HappensBefore(service_.get());  // the handlers and the service, for gRPC
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound_port == 0) {
    server_.reset();
    return absl::UnavailableError(ExplainBindFailure(host, port));
  }
  return bound_port;
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
  server_->Wait();
  server_.reset();
}

}  // namespace saludo::runtime::live
