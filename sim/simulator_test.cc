#include "sim/simulator.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace saludo::sim {
namespace {

TEST(SimulatorTest, RunsInTimeThenSchedulingOrder) {
  Simulator sim(1, false);
  std::string order;
  sim.After(absl::Milliseconds(2), [&] { order += "c"; });
  sim.After(absl::Milliseconds(1), [&] { order += "a"; });
  sim.After(absl::Milliseconds(1), [&] { order += "b"; });
  sim.After(absl::Milliseconds(2), [&] {
    order += "d";
    sim.After(absl::ZeroDuration(), [&] { order += "e"; });
  });
  EXPECT_EQ(sim.RunAll(), 5u);
  EXPECT_EQ(order, "abcde");
  EXPECT_EQ(sim.now(), absl::Milliseconds(2));
}

TEST(SimulatorTest, CancelAndRunUntil) {
  Simulator sim(1, false);
  int ran = 0;
  EventHandle h = sim.After(absl::Seconds(1), [&] { ++ran; });
  sim.After(absl::Seconds(3), [&] { ++ran; });
  EXPECT_TRUE(sim.Cancel(h));
  EXPECT_FALSE(sim.Cancel(h));
  sim.RunUntil(absl::Seconds(2));
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(sim.now(), absl::Seconds(2));
  EXPECT_EQ(sim.pending_events(), 1u);
  sim.RunAll();
  EXPECT_EQ(ran, 1);
  // A handle of a slot that was reused does not cancel the new event.
  EventHandle old = h;
  sim.After(absl::Seconds(1), [&] { ++ran; });
  EXPECT_FALSE(sim.Cancel(old));
  sim.RunAll();
  EXPECT_EQ(ran, 2);
}

// Wake-ups run among the other events, but alone they do not keep the
// simulation going, unless it is held open.
TEST(SimulatorTest, WakeUpsAloneEndARunUnlessHeld) {
  Simulator sim(1, false);
  std::string order;
  sim.WakeUpAtNsInOrder(1000, sim.TakeSequence(), [&] { order += "w"; });
  sim.AtNs(1000, [&] { order += "e"; });
  sim.WakeUpAtNsInOrder(5000, sim.TakeSequence(), [&] { order += "x"; });
  EXPECT_EQ(sim.pending_events(), 1u);  // wake-ups are not counted
  EXPECT_EQ(sim.RunAll(), 2u);
  EXPECT_EQ(order, "we");
  EXPECT_EQ(sim.now_ns(), 1000);  // the wake-up at 5000 did not run
  sim.Hold();
  EXPECT_EQ(sim.RunAll(), 1u);
  EXPECT_EQ(order, "wex");
  EXPECT_EQ(sim.now_ns(), 5000);
  // Held and nothing queued: the run ends where it is.
  EXPECT_EQ(sim.RunAll(), 0u);
  sim.Release();
  const EventHandle h =
      sim.WakeUpAtNsInOrder(6000, sim.TakeSequence(), [&] { order += "y"; });
  EXPECT_TRUE(sim.CancelWakeUp(h));
  EXPECT_FALSE(sim.CancelWakeUp(h));
  sim.Hold();
  EXPECT_EQ(sim.RunAll(), 0u);  // a cancelled wake-up is gone
  sim.Release();
  EXPECT_EQ(order, "wex");
  // Until a time, the run ends there as before.
  sim.WakeUpAtNsInOrder(7000, sim.TakeSequence(), [&] { order += "z"; });
  sim.RunUntil(absl::Nanoseconds(9000));
  EXPECT_EQ(sim.now_ns(), 9000);
}

TEST(SimulatorTest, RescheduleMovesAnEventBehindThoseAlreadyAtItsNewTime) {
  Simulator sim(1, false);
  std::string order;
  EventHandle moved = sim.After(absl::Milliseconds(1), [&] { order += "m"; });
  sim.After(absl::Milliseconds(5), [&] { order += "a"; });
  EventHandle again =
      sim.Reschedule(moved, absl::ToInt64Nanoseconds(absl::Milliseconds(5)));
  sim.After(absl::Milliseconds(5), [&] { order += "b"; });
  EXPECT_FALSE(sim.Cancel(moved));  // the old handle is spent
  EXPECT_EQ(sim.pending_events(), 3u);
  EXPECT_EQ(sim.RunAll(), 3u);
  EXPECT_EQ(order, "amb");
  EXPECT_FALSE(sim.Cancel(again));  // it ran
}

TEST(SimulatorTest, ARunningEventCannotCancelItselfAndMaySchedule) {
  Simulator sim(1, false);
  EventHandle self;
  bool cancelled = true;
  int later = 0;
  self = sim.After(absl::Seconds(1), [&] {
    cancelled = sim.Cancel(self);
    sim.After(absl::Seconds(1), [&] { ++later; });
  });
  EXPECT_EQ(sim.RunAll(), 2u);
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(later, 1);
  EXPECT_EQ(sim.pending_events(), 0u);
}

TEST(TraceTest, HashDependsOnEveryFieldAndOrder) {
  auto run = [](int variant) {
    Simulator sim(1, true);
    TraceEvent a = MakeEvent(EventKind::kCallStart, 0, 1, 1);
    TraceEvent b =
        MakeEvent(EventKind::kCallDone, 0, 1, 1, variant == 1 ? 14 : 0);
    if (variant == 2) std::swap(a, b);
    sim.Record(a);
    sim.Record(b);
    return sim.trace().hash();
  };
  EXPECT_EQ(run(0), run(0));
  EXPECT_NE(run(0), run(1));
  EXPECT_NE(run(0), run(2));
}

TEST(TraceTest, FirstDivergenceFindsTheEvent) {
  std::vector<TraceEvent> a(3), b(3);
  EXPECT_EQ(FirstDivergence(a, b), -1);
  b[1].code = 4;
  EXPECT_EQ(FirstDivergence(a, b), 1);
  b = a;
  b.pop_back();
  EXPECT_EQ(FirstDivergence(a, b), 2);
}

// Cancelled events leave the queue at once; the others still run in (time,
// sequence) order, and a handle of a cancelled event cancels nothing later.
TEST(SimulatorTest, ManyCancelledEventsAreDroppedWithoutChangingTheOrder) {
  Simulator sim(1, false);
  std::vector<int> ran;
  std::vector<EventHandle> handles;
  for (int i = 0; i < 5000; ++i) {
    // Keep every tenth; equal times keep their scheduling order.
    handles.push_back(sim.At(absl::Milliseconds(i % 7), [&ran, i] {
      ran.push_back(i);
    }));
  }
  for (int i = 0; i < 5000; ++i) {
    if (i % 10 != 0) {
      EXPECT_TRUE(sim.Cancel(handles[i]));
    }
  }
  EXPECT_EQ(sim.pending_events(), 500u);
  // New events take freed slots; old handles must not cancel them.
  int later = 0;
  for (int i = 0; i < 100; ++i) {
    sim.At(absl::Milliseconds(10), [&later] { ++later; });
  }
  for (int i = 1; i < 100; i += 10) EXPECT_FALSE(sim.Cancel(handles[i]));
  EXPECT_EQ(sim.RunAll(), 600u);
  EXPECT_EQ(later, 100);
  std::vector<int> want;
  for (int t = 0; t < 7; ++t) {
    for (int i = 0; i < 5000; i += 10) {
      if (i % 7 == t) want.push_back(i);
    }
  }
  EXPECT_EQ(ran, want);
}

// A whole-ns delay is the same as its absl::Duration: same time, and the
// scheduling order decides between equal times.
TEST(SimulatorTest, AfterNsIsAfterInWholeNanoseconds) {
  Simulator sim(1, false);
  std::vector<std::string> ran;
  sim.After(absl::Nanoseconds(5), [&] { ran.push_back("a@5"); });
  sim.AfterNs(5, [&] { ran.push_back("b@5"); });
  sim.AfterNs(4, [&] {
    ran.push_back("c@4");
    sim.AfterNs(0, [&] { ran.push_back("d@4"); });
  });
  sim.RunUntil(absl::Nanoseconds(4));
  EXPECT_EQ(sim.now_ns(), 4);
  EXPECT_EQ(ran, (std::vector<std::string>{"c@4", "d@4"}));
  sim.RunAll();
  EXPECT_EQ(sim.now_ns(), 5);
  EXPECT_EQ(ran, (std::vector<std::string>{"c@4", "d@4", "a@5", "b@5"}));
}

// An event recorded field by field hashes as the TraceEvent MakeEvent builds,
// with or without the log (which then holds it, stamped).
TEST(SimulatorTest, RecordingFieldsIsRecordingTheEvent) {
  Simulator by_fields(1, false), by_event(1, false), logged(1, true);
  for (Simulator* sim : {&by_fields, &by_event, &logged}) {
    sim->RunUntil(absl::Microseconds(3));
  }
  by_fields.Record(EventKind::kCallDone, 1, 2, 77, 4, 0xabc);
  by_event.Record(MakeEvent(EventKind::kCallDone, 1, 2, 77, 4, 0xabc));
  logged.Record(EventKind::kCallDone, 1, 2, 77, 4, 0xabc);
  by_fields.Record(EventKind::kNote, 3);
  by_event.Record(MakeEvent(EventKind::kNote, 3));
  logged.Record(EventKind::kNote, 3);
  EXPECT_EQ(by_fields.trace().hash(), by_event.trace().hash());
  EXPECT_EQ(logged.trace().hash(), by_event.trace().hash());
  EXPECT_EQ(by_fields.trace().events(), 2u);
  ASSERT_EQ(logged.trace().log().size(), 2u);
  const TraceEvent& e = logged.trace().log()[0];
  EXPECT_EQ(e.time_ns, 3000);
  EXPECT_EQ(e.sequence, 0u);
  EXPECT_EQ(e.kind, EventKind::kCallDone);
  EXPECT_EQ(e.node, 1);
  EXPECT_EQ(e.peer, 2);
  EXPECT_EQ(e.call, 77u);
  EXPECT_EQ(e.code, 4);
  EXPECT_EQ(e.payload, 0xabcu);
  EXPECT_EQ(logged.trace().log()[1].sequence, 1u);
}

// The event heap against a model (a sorted set of (time, sequence)): events
// scheduled, cancelled (anywhere in the heap) and run in random interleavings
// run exactly in the model's order, and pending_events() is the model's size.
TEST(SimulatorTest, HeapMatchesASortedModelUnderRandomCancels) {
  runtime::Random random(7);
  for (int round = 0; round < 20; ++round) {
    Simulator sim(1, false);
    std::set<std::pair<int64_t, int>> model;  // (time ns, schedule order)
    std::vector<std::pair<EventHandle, std::pair<int64_t, int>>> pending;
    std::vector<std::pair<int64_t, int>> ran;
    int scheduled = 0;
    for (int step = 0; step < 2000; ++step) {
      const uint64_t what = random.NextBelow(10);
      if (what < 6) {  // schedule, often at an equal time
        const int64_t at_ns = sim.now_ns() + 1 + random.NextBelow(50);
        const std::pair<int64_t, int> key{at_ns, scheduled++};
        pending.push_back(
            {sim.AtNs(at_ns, [&ran, key] { ran.push_back(key); }), key});
        model.insert(key);
      } else if (what < 9 && !pending.empty()) {  // cancel any of them
        const size_t i = random.NextBelow(pending.size());
        const bool was_pending = model.erase(pending[i].second) == 1;
        EXPECT_EQ(sim.Cancel(pending[i].first), was_pending);
        pending.erase(pending.begin() + i);
      } else {  // run what is due within the next 20 ns
        const int64_t until_ns = sim.now_ns() + 20;
        std::vector<std::pair<int64_t, int>> want;
        while (!model.empty() && model.begin()->first <= until_ns) {
          want.push_back(*model.begin());
          model.erase(model.begin());
        }
        ran.clear();
        EXPECT_EQ(sim.RunUntil(absl::Nanoseconds(until_ns)), want.size());
        EXPECT_EQ(ran, want);
      }
      ASSERT_EQ(sim.pending_events(), model.size());
    }
  }
}

// The same, with the running events doing the scheduling and cancelling
// (a running event's entry makes way for the first event it schedules):
// each event runs when the model says it is the earliest pending one.
TEST(SimulatorTest, EventsThatScheduleAndCancelWhileRunningKeepTheOrder) {
  struct Model {
    Simulator sim{1, false};
    runtime::Random random{11};
    std::set<std::pair<int64_t, int>> pending;  // (time ns, schedule order)
    std::vector<std::pair<EventHandle, std::pair<int64_t, int>>> handles;
    int scheduled = 0;
    int ran = 0;

    void Schedule() {
      const int64_t at_ns = sim.now_ns() + random.NextBelow(4) * 10;
      const std::pair<int64_t, int> key{at_ns, scheduled++};
      handles.push_back({sim.AtNs(at_ns, [this, key] { Run(key); }), key});
      pending.insert(key);
    }
    void Run(std::pair<int64_t, int> key) {
      ASSERT_FALSE(pending.empty());
      ASSERT_EQ(key, *pending.begin());  // the earliest, and still pending
      pending.erase(pending.begin());
      ++ran;
      EXPECT_EQ(sim.pending_events(), pending.size());
      const uint64_t actions = scheduled < 5000 ? random.NextBelow(5) : 0;
      for (uint64_t a = 0; a < actions; ++a) {
        if (random.NextBelow(4) > 0 || handles.empty()) {
          Schedule();
        } else {
          const size_t i = random.NextBelow(handles.size());
          const bool was_pending = pending.erase(handles[i].second) == 1;
          EXPECT_EQ(sim.Cancel(handles[i].first), was_pending);
          handles.erase(handles.begin() + i);
        }
        EXPECT_EQ(sim.pending_events(), pending.size());
      }
    }
  };
  Model m;
  for (int i = 0; i < 20; ++i) m.Schedule();
  const uint64_t ran = m.sim.RunAll();
  EXPECT_EQ(ran, static_cast<uint64_t>(m.ran));
  EXPECT_GT(m.ran, 1000);
  EXPECT_TRUE(m.pending.empty());
  EXPECT_EQ(m.sim.pending_events(), 0u);
}

// Bursts of events far more than are pending afterwards: the chunks of slots
// they used are given back (and taken again by the next burst), and nothing
// else changes: the order events run in, and Cancel's answers, also for
// handles to events whose chunk was given back.
TEST(SimulatorTest, ABurstsSlotsAreGivenBackAndTheOrderIsKept) {
  constexpr int kBurst = 20000;
  runtime::Random random(5);
  Simulator sim(1, false);
  std::vector<EventHandle> old_handles;
  for (int burst = 0; burst < 3; ++burst) {
    std::set<std::pair<int64_t, int>> model;  // (time ns, schedule order)
    std::vector<std::pair<int64_t, int>> ran;
    std::vector<std::pair<EventHandle, std::pair<int64_t, int>>> handles;
    for (int i = 0; i < kBurst; ++i) {
      const int64_t at_ns = sim.now_ns() + 1 + random.NextBelow(1000);
      const std::pair<int64_t, int> key{at_ns, i};
      handles.push_back(
          {sim.AtNs(at_ns, [&ran, key] { ran.push_back(key); }), key});
      model.insert(key);
    }
    EXPECT_GE(sim.event_slots_held(), static_cast<size_t>(kBurst));
    for (int i = 0; i < kBurst / 3; ++i) {
      const auto& [handle, key] = handles[random.NextBelow(kBurst)];
      EXPECT_EQ(sim.Cancel(handle), model.erase(key) == 1);
    }
    for (const EventHandle& h : old_handles) EXPECT_FALSE(sim.Cancel(h));
    sim.RunAll();
    const std::vector<std::pair<int64_t, int>> want(model.begin(), model.end());
    EXPECT_EQ(ran, want);
    EXPECT_EQ(sim.pending_events(), 0u);
    // Once no event is pending, at most 1,024 slots (four chunks) stay held.
    EXPECT_LE(sim.event_slots_held(), 1024u);
    for (const auto& [handle, key] : handles) {
      EXPECT_FALSE(sim.Cancel(handle));
      old_handles.push_back(handle);
    }
  }
}

}  // namespace
}  // namespace saludo::sim
