#include "services/reflection_service.h"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "proto/reflection_v1.pb.h"

namespace saludo::services {
namespace {

namespace pb = ::google::protobuf;
using ::grpc::reflection::v1::ServerReflectionRequest;
using ::grpc::reflection::v1::ServerReflectionResponse;

// `file`, then every file it imports (depth first, each once).
void AddFileAndImports(const pb::FileDescriptor* file,
                       std::set<std::string>* seen,
                       ServerReflectionResponse* response) {
  if (!seen->insert(file->name()).second) return;
  pb::FileDescriptorProto proto;
  file->CopyTo(&proto);
  response->mutable_file_descriptor_response()->add_file_descriptor_proto(
      proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddFileAndImports(file->dependency(i), seen, response);
  }
}

void SetError(absl::StatusCode code, const std::string& message,
              ServerReflectionResponse* response) {
  response->mutable_error_response()->set_error_code(static_cast<int>(code));
  response->mutable_error_response()->set_error_message(message);
}

// The file a request asks for, or null (and `*what` says what was missing).
const pb::FileDescriptor* FileAskedFor(const ServerReflectionRequest& request,
                                       std::string* what) {
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kFileByFilename:
      *what = "file " + request.file_by_filename();
      return pool->FindFileByName(request.file_by_filename());
    case ServerReflectionRequest::kFileContainingSymbol:
      *what = "symbol " + request.file_containing_symbol();
      return pool->FindFileContainingSymbol(request.file_containing_symbol());
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& ext = request.file_containing_extension();
      *what = "extension " + std::to_string(ext.extension_number()) + " of " +
              ext.containing_type();
      const pb::Descriptor* type =
          pool->FindMessageTypeByName(ext.containing_type());
      if (type == nullptr) return nullptr;
      const pb::FieldDescriptor* field =
          pool->FindExtensionByNumber(type, ext.extension_number());
      return field == nullptr ? nullptr : field->file();
    }
    default:
      return nullptr;
  }
}

}  // namespace

std::string ReflectionService::Answer(const std::string& request_bytes) const {
  ServerReflectionRequest request;
  if (!request.ParseFromString(request_bytes)) return "";
  runtime::MutexLock lock(&mu_);
  ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kListServices:
      for (const std::string& name : services_->services()) {
        response.mutable_list_services_response()->add_service()->set_name(
            name);
      }
      break;
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const pb::Descriptor* type =
          pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(absl::StatusCode::kNotFound,
                 "unknown type " + request.all_extension_numbers_of_type(),
                 &response);
        break;
      }
      std::vector<const pb::FieldDescriptor*> extensions;
      pool->FindAllExtensions(type, &extensions);
      std::vector<int> numbers;
      for (const auto* field : extensions) numbers.push_back(field->number());
      std::sort(numbers.begin(), numbers.end());
      auto* out = response.mutable_all_extension_numbers_response();
      out->set_base_type_name(type->full_name());
      for (int number : numbers) out->add_extension_number(number);
      break;
    }
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      SetError(absl::StatusCode::kInvalidArgument, "empty request", &response);
      break;
    default: {
      std::string what;
      const pb::FileDescriptor* file = FileAskedFor(request, &what);
      if (file == nullptr) {
        SetError(absl::StatusCode::kNotFound, "unknown " + what, &response);
        break;
      }
      std::set<std::string> seen;
      AddFileAndImports(file, &seen, &response);
    }
  }
  return response.SerializeAsString();
}

void ReflectionService::RegisterWith(runtime::HandlerRegistry& registry) {
  for (const char* method : {kReflectionMethod, kReflectionAlphaMethod}) {
    registry.RegisterStream(
        method, [this](const runtime::ServerCall&,
                       std::shared_ptr<runtime::ServerStream> stream) {
          runtime::StreamReader reader;
          reader.on_message = [this, stream](std::string bytes) {
            std::string answer = Answer(bytes);
            if (answer.empty()) {
              stream->Finish(absl::InvalidArgumentError(
                  "request does not parse as ServerReflectionRequest"));
              return;
            }
            stream->Write(std::move(answer));
          };
          reader.on_half_close = [stream] { stream->Finish(absl::OkStatus()); };
          return reader;
        });
  }
}

}  // namespace saludo::services
