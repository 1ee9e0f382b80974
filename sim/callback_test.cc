#include "sim/callback.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace saludo::sim {
namespace {

// Counts live copies of a closure's state, so the test sees every
// destruction (inline and on the heap).
struct Counted {
  explicit Counted(int* live) : live(live) { ++*live; }
  Counted(Counted&& o) noexcept : live(o.live) { ++*live; }
  ~Counted() { --*live; }
  int* live;
};

TEST(InlineFunctionTest, SmallClosuresInlineLargeOnesOnTheHeapBothWork) {
  int live = 0;
  int calls = 0;
  {
    Callback small = [c = Counted(&live), &calls] { ++calls; };
    std::string big(200, 'x');
    Callback large = [c = Counted(&live), big, &calls] {
      calls += static_cast<int>(big.size());
    };
    EXPECT_EQ(live, 2);
    small();
    large();
    EXPECT_EQ(calls, 201);
    // Moves leave the source empty and keep one copy alive.
    Callback moved = std::move(large);
    EXPECT_FALSE(static_cast<bool>(large));  // NOLINT: checking moved-from
    moved();
    EXPECT_EQ(calls, 401);
    std::vector<Callback> many;
    for (int i = 0; i < 100; ++i) many.push_back([c = Counted(&live)] {});
    EXPECT_EQ(live, 102);
    many.clear();
    small = nullptr;
    EXPECT_EQ(live, 1);
  }
  EXPECT_EQ(live, 0);
}

TEST(InlineFunctionTest, ArgumentsAreForwarded) {
  std::string seen;
  InlineFunction<int(std::string, int)> f = [&seen](std::string s, int n) {
    seen = s;
    return n * 2;
  };
  auto owned = std::make_unique<int>(7);  // a move-only capture
  InlineFunction<int()> g = [p = std::move(owned)] { return *p; };
  EXPECT_EQ(f("hola", 21), 42);
  EXPECT_EQ(seen, "hola");
  EXPECT_EQ(g(), 7);
}

TEST(InlineFunctionTest, AnOverAlignedClosureIsKeptAlignedOnTheHeap) {
  struct alignas(32) Wide {
    double values[4] = {1, 2, 3, 4};
  };
  static_assert(alignof(Wide) > Callback::kInlineAlign);
  const void* where = nullptr;
  InlineFunction<double()> f = [w = Wide(), &where] {
    where = &w;
    return w.values[3];
  };
  InlineFunction<double()> moved = std::move(f);
  EXPECT_EQ(moved(), 4.0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(where) % alignof(Wide), 0u);
  static_assert(sizeof(Callback) == 64 && alignof(Callback) == 8);
}

// What a reply in flight holds (an object, a call id, a status and the
// reply's bytes: seven words) lives inside the InlineFunction, not on the
// heap.
TEST(InlineFunctionTest, AReplysClosureIsKeptInline) {
  const void* where = nullptr;
  InlineFunction<void()> f = [seen = &where, call_id = uint64_t{7},
                              status = absl::OkStatus(),
                              reply = std::string(40, 'x')] {
    *seen = &reply;
    EXPECT_EQ(call_id, 7u);
    EXPECT_TRUE(status.ok());
  };
  f();
  const char* begin = reinterpret_cast<const char*>(&f);
  const char* at = static_cast<const char*>(where);
  EXPECT_TRUE(at >= begin && at < begin + sizeof(f));
}

}  // namespace
}  // namespace saludo::sim
