// RunToChromeTrace (report.h): the run in the Trace Event Format.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "scenario/properties.h"
#include "scenario/report.h"

namespace saludo::scenario {
namespace {

// Lane kinds: each node's lanes of one kind get tids from its base.
enum Kind { kEvents = 0, kCalls = 100, kAttempts = 200, kRequests = 300,
            kFaults = 400 };

const char* KindName(int kind) {
  switch (kind) {
    case kCalls: return "calls";
    case kAttempts: return "attempts";
    case kRequests: return "requests";
    case kFaults: return "faults";
    default: return "events";
  }
}

struct Span {
  int pid = 0;
  int kind = kCalls;
  int64_t start_ns = 0, end_ns = 0;
  std::string name;
  std::string args;  // a JSON object
  int tid = 0;       // set by AssignLanes
};

double Us(int64_t ns) { return ns / 1000.0; }

// Gives each span the lowest lane of its node and kind that is free at its
// start, so spans on one track never overlap.
void AssignLanes(std::vector<Span>& spans) {
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return spans[a].start_ns < spans[b].start_ns;
  });
  std::map<std::pair<int, int>, std::vector<int64_t>> free_at;
  for (size_t i : order) {
    Span& s = spans[i];
    std::vector<int64_t>& lanes = free_at[{s.pid, s.kind}];
    size_t lane = 0;
    while (lane < lanes.size() && lanes[lane] > s.start_ns) ++lane;
    if (lane == lanes.size()) lanes.push_back(0);
    lanes[lane] = std::max(s.end_ns, s.start_ns + 1);
    s.tid = s.kind + static_cast<int>(lane);
  }
}

// Client calls (caller node) and backend requests (server node), paired
// from the event log; a request ends when answered, cancelled or reset.
// `call_span` maps each call id to its span.
void CallSpans(const ScenarioRun& run, int nginx, int64_t end_ns,
               std::vector<Span>* spans, std::map<uint64_t, size_t>* call_span,
               std::map<uint64_t, size_t>* request_span) {
  const auto& names = run.observed.node_names;
  for (const sim::TraceEvent& e : run.observed.event_log) {
    using sim::EventKind;
    if (e.kind == EventKind::kCallStart) {
      (*call_span)[e.call] = spans->size();
      spans->push_back({e.node, kCalls, e.time_ns, end_ns,
                        "call → " + names[e.peer],
                        absl::StrCat("{\"call\":", e.call, ",\"target\":",
                                     JsonString(names[e.peer]), "}")});
    } else if (e.kind == EventKind::kCallDone && call_span->count(e.call)) {
      Span& s = (*spans)[(*call_span)[e.call]];
      s.end_ns = e.time_ns;
      s.args.pop_back();
      absl::StrAppend(&s.args, ",\"code\":", e.code, "}");
      if (e.code != 0) absl::StrAppend(&s.name, " (code ", e.code, ")");
    } else if (e.kind == EventKind::kRequestDelivered && e.node != nginx &&
               !request_span->count(e.call)) {
      (*request_span)[e.call] = spans->size();
      spans->push_back({e.node, kRequests, e.time_ns, end_ns,
                        "request from " + names[e.peer],
                        absl::StrCat("{\"call\":", e.call, "}")});
    } else if ((e.kind == EventKind::kReplySent ||
                e.kind == EventKind::kCancel || e.kind == EventKind::kReset) &&
               request_span->count(e.call)) {
      Span& s = (*spans)[(*request_span)[e.call]];
      if (s.end_ns != end_ns) continue;  // ended already
      s.end_ns = e.time_ns;
      absl::StrAppend(&s.name, " → ", sim::EventKindName(e.kind));
    }
  }
}

// Every attempt nginx made, from its access log, with peer and outcome.
// `flows` gets (from span, to span, id) for client call -> attempt ->
// backend request.
void AttemptSpans(const LoadedScenario& s, const ScenarioRun& run, int nginx,
                  const std::map<uint64_t, size_t>& call_span,
                  const std::map<uint64_t, size_t>& request_span,
                  std::vector<Span>* spans,
                  std::vector<std::pair<size_t, size_t>>* flows) {
  if (nginx < 0) return;
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    for (size_t i = 0; i < e.attempt_at.size(); ++i) {
      const int64_t start = absl::ToInt64Nanoseconds(e.attempt_at[i]);
      const int64_t end = i < e.attempt_end.size()
                              ? absl::ToInt64Nanoseconds(e.attempt_end[i])
                              : start;
      const std::string outcome =
          i < e.attempt_outcome.size()
              ? std::string(sim::AttemptOutcomeName(e.attempt_outcome[i]))
              : "unfinished";
      const uint64_t id = i < e.attempt_call.size() ? e.attempt_call[i] : 0;
      std::string peer = e.upstream_addr[i];
      for (const auto& b : s.backends) {
        if (b.address == e.upstream_addr[i]) peer = b.name;
      }
      const size_t index = spans->size();
      spans->push_back(
          {nginx, kAttempts, start, end,
           absl::StrCat("attempt → ", peer, ": ", outcome),
           absl::StrCat("{\"call\":", e.call, ",\"attempt\":", id,
                        ",\"peer\":", JsonString(peer), ",\"address\":",
                        JsonString(e.upstream_addr[i]),
                        ",\"outcome\":", JsonString(outcome),
                        ",\"upstream_status\":",
                        i < e.upstream_status.size() ? e.upstream_status[i] : 0,
                        "}")});
      if (auto c = call_span.find(e.call); c != call_span.end()) {
        flows->emplace_back(c->second, index);
      }
      if (auto r = request_span.find(id); r != request_span.end()) {
        flows->emplace_back(index, r->second);
      }
    }
  }
}

void FaultSpans(const ScenarioRun& run, int64_t end_ns,
                std::vector<Span>* spans) {
  const auto& names = run.observed.node_names;
  for (const FaultWindow& f : run.windows) {
    const auto node = std::find(names.begin(), names.end(), f.node);
    if (node == names.end()) continue;
    const int64_t start = absl::ToInt64Nanoseconds(f.start);
    const int64_t end = f.end == absl::InfiniteDuration()
                            ? std::max(end_ns, start)
                            : absl::ToInt64Nanoseconds(f.end);
    spans->push_back(
        {static_cast<int>(node - names.begin()), kFaults, start, end,
         f.kind + (f.peer.empty() ? "" : " / " + f.peer),
         absl::StrCat("{\"kind\":", JsonString(f.kind), ",\"node\":",
                      JsonString(f.node), ",\"peer\":", JsonString(f.peer),
                      "}")});
  }
}

std::string SpanEvent(const Span& s) {
  return absl::StrFormat(
      "{\"name\":%s,\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,"
      "\"pid\":%d,\"tid\":%d,\"args\":%s}",
      JsonString(s.name), KindName(s.kind), Us(s.start_ns),
      Us(s.end_ns - s.start_ns), s.pid, s.tid, s.args);
}

// A flow arrow from the start of span `a` to the start of span `b`.
void FlowEvents(const Span& a, const Span& b, size_t id,
                std::vector<std::string>* out) {
  out->push_back(absl::StrFormat(
      "{\"name\":\"flow\",\"cat\":\"flow\",\"ph\":\"s\",\"id\":%d,\"ts\":%.3f,"
      "\"pid\":%d,\"tid\":%d}",
      id, Us(a.start_ns), a.pid, a.tid));
  out->push_back(absl::StrFormat(
      "{\"name\":\"flow\",\"cat\":\"flow\",\"ph\":\"f\",\"bp\":\"e\","
      "\"id\":%d,\"ts\":%.3f,\"pid\":%d,\"tid\":%d}",
      id, Us(std::max(b.start_ns, a.start_ns)), b.pid, b.tid));
}

// A counter track: value changes (time, delta) summed in time order.
void Counter(const std::string& name, int pid,
             std::vector<std::pair<int64_t, int>> changes,
             std::vector<std::string>* out) {
  std::stable_sort(changes.begin(), changes.end(),
                   [](const auto& a, const auto& b) {
                     return a.first != b.first ? a.first < b.first
                                               : a.second < b.second;
                   });
  int value = 0;
  for (const auto& [at, delta] : changes) {
    value += delta;
    out->push_back(absl::StrFormat(
        "{\"name\":%s,\"ph\":\"C\",\"ts\":%.3f,\"pid\":%d,\"args\":{\"value\":"
        "%d}}",
        JsonString(name), Us(at), pid, value));
  }
}

void Counters(const LoadedScenario& s, const ScenarioRun& run, int nginx,
              const std::vector<Span>& spans, std::vector<std::string>* out) {
  std::map<int, std::vector<std::pair<int64_t, int>>> in_flight;
  for (const Span& span : spans) {
    if (span.kind != kCalls) continue;
    in_flight[span.pid].push_back({span.start_ns, +1});
    in_flight[span.pid].push_back({span.end_ns, -1});
  }
  for (auto& [pid, changes] : in_flight) {
    Counter("calls in flight", pid, std::move(changes), out);
  }
  if (nginx < 0) return;
  std::map<std::string, std::vector<std::pair<int64_t, int>>> out_of_rotation;
  for (const BreakerWindow& w : BreakerWindows(s, run.observed.balancer)) {
    std::string name = w.address;
    for (const auto& b : s.backends) {
      if (b.address == w.address) name = b.name;
    }
    out_of_rotation[name].push_back({absl::ToInt64Nanoseconds(w.from), +1});
    out_of_rotation[name].push_back({absl::ToInt64Nanoseconds(w.until), -1});
  }
  for (auto& [name, changes] : out_of_rotation) {
    Counter("out of rotation: " + name, nginx, std::move(changes), out);
  }
}

// Crashes, restarts, pauses and clock changes as instants on the node.
void Instants(const ScenarioRun& run, std::vector<std::string>* out) {
  for (const sim::TraceEvent& e : run.observed.event_log) {
    using sim::EventKind;
    if (e.kind != EventKind::kFault && e.kind != EventKind::kClock &&
        e.kind != EventKind::kCrash && e.kind != EventKind::kRestart &&
        e.kind != EventKind::kPause && e.kind != EventKind::kResume) {
      continue;
    }
    out->push_back(absl::StrFormat(
        "{\"name\":%s,\"cat\":\"events\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,"
        "\"pid\":%d,\"tid\":%d}",
        JsonString(absl::StrCat(sim::EventKindName(e.kind),
                                e.detail.empty() ? "" : " " + e.detail)),
        Us(e.time_ns), e.node, static_cast<int>(kEvents)));
  }
}

// process_name per node and thread_name per lane used.
void Names(const ScenarioRun& run, const std::vector<Span>& spans,
           std::vector<std::string>* out) {
  const auto& names = run.observed.node_names;
  std::map<std::pair<int, int>, int> threads;  // (pid, tid) -> kind
  for (size_t i = 0; i < names.size(); ++i) {
    out->push_back(
        absl::StrCat("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":", i,
                     ",\"args\":{\"name\":", JsonString(names[i]), "}}"));
    threads[{static_cast<int>(i), kEvents}] = kEvents;
  }
  for (const Span& s : spans) threads[{s.pid, s.tid}] = s.kind;
  for (const auto& [key, kind] : threads) {
    const int lane = key.second - kind;
    out->push_back(absl::StrCat(
        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":", key.first,
        ",\"tid\":", key.second, ",\"args\":{\"name\":",
        JsonString(kind == kEvents ? "events"
                                   : absl::StrCat(KindName(kind), " ", lane + 1)),
        "}}"));
  }
}

}  // namespace

std::string RunToChromeTrace(const LoadedScenario& s, const ScenarioRun& run) {
  const auto& names = run.observed.node_names;
  const auto nginx_it = std::find(names.begin(), names.end(), "nginx");
  const int nginx =
      nginx_it == names.end() ? -1 : static_cast<int>(nginx_it - names.begin());
  int64_t end_ns = absl::ToInt64Nanoseconds(s.duration);
  for (const sim::TraceEvent& e : run.observed.event_log) {
    end_ns = std::max(end_ns, e.time_ns);
  }
  std::vector<Span> spans;
  std::map<uint64_t, size_t> call_span, request_span;
  CallSpans(run, nginx, end_ns, &spans, &call_span, &request_span);
  std::vector<std::pair<size_t, size_t>> flows;
  AttemptSpans(s, run, nginx, call_span, request_span, &spans, &flows);
  FaultSpans(run, end_ns, &spans);
  AssignLanes(spans);
  std::vector<std::string> events;
  Names(run, spans, &events);
  for (const Span& span : spans) events.push_back(SpanEvent(span));
  for (size_t i = 0; i < flows.size(); ++i) {
    FlowEvents(spans[flows[i].first], spans[flows[i].second], i + 1, &events);
  }
  Counters(s, run, nginx, spans, &events);
  Instants(run, &events);
  return absl::StrCat(
      "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"scenario\":",
      JsonString(s.name), ",\"seed\":", run.seed, "},\"traceEvents\":[\n",
      absl::StrJoin(events, ",\n"), "\n]}\n");
}

}  // namespace saludo::scenario
