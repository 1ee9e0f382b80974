#include "examples/counter/counter_service.h"

#include <string>

#include "examples/counter/counter.pb.h"
#include "gtest/gtest.h"
#include "runtime/testing/fakes.h"

namespace saludo::counter {
namespace {

struct Answer {
  absl::Status status;
  AddReply reply;
};

Answer Add(runtime::testing::DirectRegistry& registry, int64_t amount,
           const std::string& client = "c") {
  AddRequest request;
  request.set_amount(amount);
  request.set_client(client);
  Answer a;
  registry.Call(kAddMethod, request.SerializeAsString(),
                [&a](absl::Status s, std::string bytes) {
                  a.status = s;
                  if (s.ok()) {
                    EXPECT_TRUE(a.reply.ParseFromString(bytes));
                  }
                });
  return a;
}

TEST(CounterServiceTest, AddsAndCountsPerProcess) {
  runtime::testing::DirectRegistry registry;
  CounterService service(3);
  service.RegisterWith(registry);
  EXPECT_EQ(Add(registry, 5).reply.total(), 5);
  Answer second = Add(registry, 2);
  EXPECT_EQ(second.reply.total(), 7);
  EXPECT_EQ(second.reply.calls(), 2);
  EXPECT_EQ(second.reply.server_id(), 3);
}

TEST(CounterServiceTest, ABootedHostStartsFromZero) {
  runtime::testing::ManualClock clock;
  for (int incarnation = 0; incarnation < 2; ++incarnation) {
    runtime::testing::DirectRegistry registry;
    runtime::HostContext context;
    context.clock = &clock;
    context.timers = &clock;
    context.registry = &registry;
    context.crash = [] {};
    auto host = CounterBoot(1)(context);
    EXPECT_EQ(Add(registry, 4).reply.total(), 4) << incarnation;
  }
}

TEST(CounterServiceTest, BadRequestsAreInvalidArgument) {
  runtime::testing::DirectRegistry registry;
  CounterService service(1);
  service.RegisterWith(registry);
  EXPECT_EQ(Add(registry, -1).status.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add(registry, kMaxAmount + 1).status.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Add(registry, 1, std::string(kMaxClientBytes + 1, 'x')).status.code(),
      absl::StatusCode::kInvalidArgument);
  absl::Status garbage;
  registry.Call(kAddMethod, "\xff\xff\xff",
                [&](absl::Status s, std::string) { garbage = s; });
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add(registry, 1).reply.total(), 1);  // nothing was added
}

}  // namespace
}  // namespace saludo::counter
