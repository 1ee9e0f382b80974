#include "tools/grpc_probe/probe.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "proto/health.grpc.pb.h"
#include "proto/reflection_v1.grpc.pb.h"
#include "proto/reflection_v1alpha.grpc.pb.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/live/grpc_status.h"
#include "runtime/sync.h"

namespace saludo::tools {
namespace {

namespace pb = ::google::protobuf;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(timeout));
}

absl::StatusOr<std::string> Watch(grpc::health::v1::Health::Stub& stub,
                                  const HealthCheckRequest& request,
                                  const ProbeOptions& options) {
  grpc::ClientContext context;
  SetDeadline(context, options.timeout);
  auto reader = stub.Watch(&context, request);
  std::string lines;
  int received = 0;
  HealthCheckResponse response;
  while (received < options.watch && reader->Read(&response)) {
    absl::StrAppend(&lines,
                    HealthCheckResponse::ServingStatus_Name(response.status()),
                    "\n");
    ++received;
  }
  if (received == options.watch) {
    context.TryCancel();
    return lines;
  }
  const absl::Status status = runtime::live::FromGrpcStatus(reader->Finish());
  return absl::Status(status.code(),
                      absl::StrCat("the stream ended after ", received, " of ",
                                   options.watch, " statuses (",
                                   status.message(), "): ", lines));
}

// One reflection exchange: sends `request` (a v1 message; v1alpha has the
// same bytes) and returns the response.
absl::StatusOr<grpc::reflection::v1::ServerReflectionResponse> Reflect(
    const std::string& address,
    const grpc::reflection::v1::ServerReflectionRequest& request,
    const ProbeOptions& options) {
  grpc::reflection::v1::ServerReflectionResponse response;
  grpc::ClientContext context;
  SetDeadline(context, options.timeout);
  bool answered;
  grpc::Status status;
  if (options.reflection_v1) {
    auto stub = grpc::reflection::v1::ServerReflection::NewStub(Connect(address));
    auto stream = stub->ServerReflectionInfo(&context);
    answered = stream->Write(request) && stream->WritesDone() &&
               stream->Read(&response);
    status = stream->Finish();
  } else {
    auto stub =
        grpc::reflection::v1alpha::ServerReflection::NewStub(Connect(address));
    auto stream = stub->ServerReflectionInfo(&context);
    grpc::reflection::v1alpha::ServerReflectionRequest alpha;
    grpc::reflection::v1alpha::ServerReflectionResponse alpha_response;
    alpha.ParseFromString(request.SerializeAsString());
    answered = stream->Write(alpha) && stream->WritesDone() &&
               stream->Read(&alpha_response);
    status = stream->Finish();
    response.ParseFromString(alpha_response.SerializeAsString());
  }
  if (!status.ok()) return runtime::live::FromGrpcStatus(status);
  if (!answered) return absl::UnavailableError("reflection gave no answer");
  if (response.has_error_response()) {
    return absl::Status(
        static_cast<absl::StatusCode>(response.error_response().error_code()),
        response.error_response().error_message());
  }
  return response;
}

}  // namespace

absl::StatusOr<std::string> Health(const std::string& address,
                                   const ProbeOptions& options) {
  auto stub = grpc::health::v1::Health::NewStub(Connect(address));
  HealthCheckRequest request;
  request.set_service(options.service);
  if (options.watch > 0) return Watch(*stub, request, options);
  grpc::ClientContext context;
  SetDeadline(context, options.timeout);
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return runtime::live::FromGrpcStatus(status);
  const std::string name =
      HealthCheckResponse::ServingStatus_Name(response.status());
  if (response.status() != HealthCheckResponse::SERVING) {
    return absl::UnavailableError("unhealthy: " + name);
  }
  return name + "\n";
}

absl::StatusOr<std::string> ListServices(const std::string& address,
                                         const ProbeOptions& options) {
  grpc::reflection::v1::ServerReflectionRequest request;
  request.set_list_services("*");
  auto response = Reflect(address, request, options);
  if (!response.ok()) return response.status();
  std::string lines;
  for (const auto& service : response->list_services_response().service()) {
    absl::StrAppend(&lines, service.name(), "\n");
  }
  return lines;
}

absl::StatusOr<std::string> CallByReflection(const std::string& address,
                                             const std::string& service_method,
                                             const std::string& json,
                                             const ProbeOptions& options) {
  std::vector<std::string> parts = absl::StrSplit(service_method, '/');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError("expected SERVICE/METHOD, got " +
                                      service_method);
  }
  grpc::reflection::v1::ServerReflectionRequest request;
  request.set_file_containing_symbol(parts[0]);
  auto response = Reflect(address, request, options);
  if (!response.ok()) return response.status();
  pb::SimpleDescriptorDatabase database;
  for (const std::string& bytes :
       response->file_descriptor_response().file_descriptor_proto()) {
    pb::FileDescriptorProto file;
    if (!file.ParseFromString(bytes)) {
      return absl::DataLossError("reflection sent a file that does not parse");
    }
    database.Add(file);
  }
  pb::DescriptorPool pool(&database);
  const pb::ServiceDescriptor* service = pool.FindServiceByName(parts[0]);
  const pb::MethodDescriptor* method =
      service == nullptr ? nullptr : service->FindMethodByName(parts[1]);
  if (method == nullptr) {
    return absl::NotFoundError("reflection knows no method " + service_method);
  }
  pb::DynamicMessageFactory factory(&pool);
  std::unique_ptr<pb::Message> in(
      factory.GetPrototype(method->input_type())->New());
  if (auto st = pb::util::JsonStringToMessage(json, in.get()); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JSON is not a ", method->input_type()->full_name(), ": ",
        st.message().as_string()));
  }
  runtime::Notification done;  // seen by TSan (absl's is not instrumented)
  absl::Status call_status;
  std::string reply_bytes;
  runtime::live::GrpcChannel channel(Connect(address));
  runtime::CallOptions call_options;
  call_options.timeout = options.timeout;
  channel.Call(absl::StrCat("/", service_method), in->SerializeAsString(),
               call_options, [&](absl::Status status, std::string reply) {
                 call_status = std::move(status);
                 reply_bytes = std::move(reply);
                 done.Notify();
               });
  done.WaitForNotification();
  if (!call_status.ok()) return call_status;
  std::unique_ptr<pb::Message> out(
      factory.GetPrototype(method->output_type())->New());
  if (!out->ParseFromString(reply_bytes)) {
    return absl::DataLossError("the reply does not parse as " +
                               method->output_type()->full_name());
  }
  std::string out_json;
  (void)pb::util::MessageToJsonString(*out, &out_json);
  return out_json + "\n";
}

}  // namespace saludo::tools
