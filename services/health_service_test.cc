#include "services/health_service.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/health.pb.h"
#include "runtime/service_listing.h"
#include "runtime/testing/fakes.h"

namespace saludo::services {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

class HealthServiceTest : public ::testing::Test {
 protected:
  HealthServiceTest() : listing_(&registry_), health_(&listing_) {
    listing_.Register("/Saludo/saludar", [](auto&&...) {});
    health_.RegisterWith(listing_);
  }

  // Check's answer: the status name, or the error.
  std::string Check(const std::string& service) {
    HealthCheckRequest request;
    request.set_service(service);
    std::string answer = "(no answer)";
    registry_.Call(kHealthCheckMethod, request.SerializeAsString(),
                   [&](absl::Status status, std::string bytes) {
                     HealthCheckResponse response;
                     answer = !status.ok() ? status.ToString()
                              : response.ParseFromString(bytes)
                                  ? HealthCheckResponse::ServingStatus_Name(
                                        response.status())
                                  : "(unparsable)";
                   });
    return answer;
  }

  // Opens a Watch; what it receives goes to `seen` ("END:" + status last).
  std::function<void()> Watch(const std::string& request_bytes,
                              std::vector<std::string>* seen) {
    return registry_.OpenStream(
        kHealthWatchMethod, request_bytes,
        [seen](std::string bytes) {
          HealthCheckResponse response;
          ASSERT_TRUE(response.ParseFromString(bytes));
          seen->push_back(
              HealthCheckResponse::ServingStatus_Name(response.status()));
        },
        [seen](absl::Status status, std::string) {
          seen->push_back("END:" + status.ToString());
        });
  }

  static std::string WatchRequest(const std::string& service) {
    HealthCheckRequest request;
    request.set_service(service);
    return request.SerializeAsString();
  }

  runtime::testing::DirectRegistry registry_;
  runtime::ServiceListing listing_;
  HealthService health_;
};

TEST_F(HealthServiceTest, CheckKnowsTheServerAndEachRegisteredService) {
  EXPECT_EQ(Check(""), "SERVING");
  EXPECT_EQ(Check("Saludo"), "SERVING");
  EXPECT_EQ(Check("grpc.health.v1.Health"), "SERVING");  // itself
  EXPECT_EQ(Check("Nope"), "NOT_FOUND: unknown service Nope");
  health_.Shutdown();
  EXPECT_EQ(Check(""), "NOT_SERVING");
  EXPECT_EQ(Check("Saludo"), "NOT_SERVING");
}

TEST_F(HealthServiceTest, WatchSendsTheStatusThenEachChangeOnce) {
  std::vector<std::string> server, saludo, unknown;
  Watch(WatchRequest(""), &server);
  Watch(WatchRequest("Saludo"), &saludo);
  Watch(WatchRequest("Nope"), &unknown);
  EXPECT_EQ(server, (std::vector<std::string>{"SERVING"}));
  EXPECT_EQ(saludo, (std::vector<std::string>{"SERVING"}));
  EXPECT_EQ(unknown, (std::vector<std::string>{"SERVICE_UNKNOWN"}));
  health_.Shutdown();
  health_.Shutdown();  // no change: nothing more is sent
  EXPECT_EQ(server, (std::vector<std::string>{"SERVING", "NOT_SERVING"}));
  EXPECT_EQ(saludo, (std::vector<std::string>{"SERVING", "NOT_SERVING"}));
  // An unknown service stays unknown: the stream stays quiet.
  EXPECT_EQ(unknown, (std::vector<std::string>{"SERVICE_UNKNOWN"}));
}

TEST_F(HealthServiceTest, ACancelledWatchIsForgotten) {
  std::vector<std::string> seen;
  std::function<void()> cancel = Watch(WatchRequest(""), &seen);
  ASSERT_TRUE(cancel);
  cancel();
  health_.Shutdown();
  EXPECT_EQ(seen, (std::vector<std::string>{"SERVING"}));
}

TEST_F(HealthServiceTest, AnUnparsableWatchRequestEndsTheStream) {
  std::vector<std::string> seen;
  Watch("\xff\xff", &seen);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].rfind("END:INVALID_ARGUMENT", 0), 0u) << seen[0];
}

}  // namespace
}  // namespace saludo::services
