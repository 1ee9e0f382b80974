#include "services/reflection_service.h"

#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "proto/reflection_v1.pb.h"
#include "proto/service.pb.h"
#include "runtime/service_listing.h"
#include "runtime/testing/fakes.h"

namespace saludo::services {
namespace {

using ::grpc::reflection::v1::ServerReflectionRequest;
using ::grpc::reflection::v1::ServerReflectionResponse;

class ReflectionServiceTest : public ::testing::Test {
 protected:
  ReflectionServiceTest() : listing_(&registry_), reflection_(&listing_) {
    listing_.Register("/Saludo/saludar", [](auto&&...) {});
    reflection_.RegisterWith(listing_);
  }

  // Sends `request` on a stream of `method`; the one response.
  ServerReflectionResponse Ask(const ServerReflectionRequest& request,
                               const char* method = kReflectionMethod) {
    std::vector<std::string> replies;
    absl::Status end = absl::UnknownError("not ended");
    registry_.OpenStream(
        method, request.SerializeAsString(),
        [&](std::string bytes) { replies.push_back(bytes); },
        [&](absl::Status status, std::string) { end = status; });
    EXPECT_TRUE(end.ok()) << end;
    EXPECT_EQ(replies.size(), 1u);
    ServerReflectionResponse response;
    if (!replies.empty()) {
      EXPECT_TRUE(response.ParseFromString(replies[0]));
    }
    return response;
  }

  // The file names in a file descriptor response, in order.
  static std::vector<std::string> Files(const ServerReflectionResponse& r) {
    std::vector<std::string> names;
    for (const std::string& bytes :
         r.file_descriptor_response().file_descriptor_proto()) {
      google::protobuf::FileDescriptorProto file;
      EXPECT_TRUE(file.ParseFromString(bytes));
      names.push_back(file.name());
    }
    return names;
  }

  runtime::testing::DirectRegistry registry_;
  runtime::ServiceListing listing_;
  ReflectionService reflection_;
};

TEST_F(ReflectionServiceTest, ListsWhatWasRegisteredThroughTheListing) {
  ServerReflectionRequest request;
  request.set_list_services("*");
  for (const char* method : {kReflectionMethod, kReflectionAlphaMethod}) {
    ServerReflectionResponse r = Ask(request, method);
    std::vector<std::string> names;
    for (const auto& s : r.list_services_response().service()) {
      names.push_back(s.name());
    }
    EXPECT_EQ(names, (std::vector<std::string>{
                         "Saludo", "grpc.reflection.v1.ServerReflection",
                         "grpc.reflection.v1alpha.ServerReflection"}));
    EXPECT_EQ(r.original_request().list_services(), "*");
  }
}

TEST_F(ReflectionServiceTest, GivesTheFileOfASymbolAndItsImports) {
  ServerReflectionRequest request;
  request.set_file_containing_symbol("Saludo");
  ServerReflectionResponse r = Ask(request);
  ASSERT_EQ(Files(r).size(), 1u);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      r.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), saludoReq::descriptor()->file()->name());
  ASSERT_EQ(file.service_size(), 1);
  EXPECT_EQ(file.service(0).method(0).name(), "saludar");
  // A file that imports another comes with it, the asked one first.
  request.set_file_containing_symbol("google.protobuf.FileDescriptorProto");
  EXPECT_EQ(Files(Ask(request)),
            (std::vector<std::string>{"google/protobuf/descriptor.proto"}));
  request.set_file_by_filename(saludoReq::descriptor()->file()->name());
  EXPECT_EQ(Files(Ask(request)).size(), 1u);
}

TEST_F(ReflectionServiceTest, UnknownNamesGetNotFoundInTheStream) {
  ServerReflectionRequest request;
  request.set_file_containing_symbol("No.Such");
  ServerReflectionResponse r = Ask(request);
  EXPECT_EQ(r.error_response().error_code(), 5);  // NOT_FOUND
  EXPECT_EQ(r.error_response().error_message(), "unknown symbol No.Such");
  request.set_all_extension_numbers_of_type("No.Such");
  EXPECT_EQ(Ask(request).error_response().error_code(), 5);
  request.set_all_extension_numbers_of_type("saludoReq");
  r = Ask(request);
  EXPECT_EQ(r.all_extension_numbers_response().base_type_name(), "saludoReq");
  EXPECT_EQ(r.all_extension_numbers_response().extension_number_size(), 0);
  EXPECT_EQ(Ask(ServerReflectionRequest()).error_response().error_code(), 3);
}

TEST_F(ReflectionServiceTest, AnUnparsableRequestEndsTheStream) {
  absl::Status end;
  registry_.OpenStream(
      kReflectionMethod, "\xff\xff", [](std::string) { FAIL(); },
      [&](absl::Status status, std::string) { end = status; });
  EXPECT_EQ(end.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace saludo::services
