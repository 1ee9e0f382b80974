// RunToJson (report.h): proto/report.proto's RunReport, printed by protobuf.
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/summary.h"
#include "proto/report.pb.h"
#include "scenario/properties.h"
#include "scenario/report.h"

namespace saludo::scenario {
namespace {

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// A backend's name for its server id or address ("" if none).
std::string BackendName(const LoadedScenario& s, int server_id,
                        const std::string& address = "") {
  for (const auto& b : s.backends) {
    if (b.server_id == server_id || (!address.empty() && b.address == address)) {
      return b.name;
    }
  }
  return "";
}

void FillSummary(const LoadedScenario& s, const ScenarioRun& run,
                 CallSummary* out) {
  std::vector<client::CallRecord> records;
  for (const ScenarioCall& c : run.observed.calls) records.push_back(c.record);
  const client::LoadSummary sum = client::Summarize(records);
  out->set_calls(sum.calls);
  out->set_ok(sum.calls - sum.failed);
  out->set_failed(sum.failed);
  out->set_breaker_openings(
      static_cast<int64_t>(BreakerWindows(s, run.observed.balancer).size()));
  for (const auto& [id, n] : sum.calls_per_server) {
    const std::string name = BackendName(s, id);
    (*out->mutable_successful_calls_per_backend())[name.empty()
                                                       ? absl::StrCat("server id ", id)
                                                       : name] = n;
  }
  for (const auto& [code, n] : sum.calls_per_status) {
    (*out->mutable_calls_per_status())[absl::StatusCodeToString(code)] = n;
  }
  if (sum.calls == 0) return;
  out->mutable_latency_ms()->set_p50(Ms(sum.latency.p50));
  out->mutable_latency_ms()->set_p90(Ms(sum.latency.p90));
  out->mutable_latency_ms()->set_p99(Ms(sum.latency.p99));
  out->mutable_latency_ms()->set_max(Ms(sum.latency.max));
}

void FillVerdicts(const ScenarioRun& run, RunReport* out) {
  for (const Verdict& v : run.verdicts) {
    VerdictReport* r = out->add_verdicts();
    r->set_property(v.property);
    r->set_result(v.skipped ? "SKIPPED" : v.holds ? "HOLDS" : "FAILS");
    r->set_measured(v.measured);
    r->set_bound(v.bound);
    r->set_first_violation(v.first_violation);
    r->set_cause(v.cause);
    r->set_first_at_ms(v.first_at.has_value() ? Ms(*v.first_at) : -1);
  }
}

// "keepalive_timeout (nginx/nginx.conf:62)" -> directive and where.
void FillUnmodeled(const LoadedScenario& s, RunReport* out) {
  for (const std::string& u : s.nginx.unmodeled) {
    Unmodeled* r = out->add_unmodeled();
    const size_t space = u.find(" (");
    r->set_directive(u.substr(0, space));
    if (space != std::string::npos && u.back() == ')') {
      r->set_where(u.substr(space + 2, u.size() - space - 3));
    }
  }
}

void FillFaults(const ScenarioRun& run, RunReport* out) {
  for (const FaultWindow& f : run.windows) {
    FaultInForce* r = out->add_faults();
    r->set_kind(f.kind);
    r->set_node(f.node);
    r->set_peer(f.peer);
    r->set_start_ms(Ms(f.start));
    r->set_end_ms(f.end == absl::InfiniteDuration() ? -1 : Ms(f.end));
  }
}

// Each client call's network id (the event log's kCallStart, in the order
// the client started them), keyed by client and index.
std::map<std::pair<std::string, int64_t>, uint64_t> CallIds(
    const ScenarioRun& run) {
  std::map<std::pair<std::string, int64_t>, uint64_t> ids;
  std::map<std::string, int64_t> next;
  const auto& names = run.observed.node_names;
  for (const sim::TraceEvent& e : run.observed.event_log) {
    if (e.kind != sim::EventKind::kCallStart || e.node < 0 ||
        e.node >= static_cast<int>(names.size())) {
      continue;
    }
    const std::string& client = names[e.node];
    ids[{client, next[client]++}] = e.call;
  }
  return ids;
}

void FillAttempts(const LoadedScenario& s, const sim::TwinLogEntry& e,
                  CallReport* out) {
  for (size_t i = 0; i < e.attempt_at.size(); ++i) {
    AttemptReport* a = out->add_attempts();
    a->set_peer(BackendName(s, -1, e.upstream_addr[i]));
    a->set_address(e.upstream_addr[i]);
    a->set_start_ms(Ms(e.attempt_at[i]));
    a->set_end_ms(i < e.attempt_end.size() ? Ms(e.attempt_end[i]) : -1);
    a->set_outcome(i < e.attempt_outcome.size()
                       ? std::string(sim::AttemptOutcomeName(e.attempt_outcome[i]))
                       : "unfinished");
    a->set_upstream_status(i < e.upstream_status.size() ? e.upstream_status[i]
                                                         : 0);
  }
}

void FillCalls(const LoadedScenario& s, const ScenarioRun& run,
               RunReport* out) {
  const auto ids = CallIds(run);
  std::map<uint64_t, const sim::TwinLogEntry*> log_of;
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    log_of[e.call] = &e;
    NginxLogLine* line = out->add_nginx_log();
    line->set_line(e.Format());
    line->set_status(e.status);
  }
  for (const ScenarioCall& c : run.observed.calls) {
    CallReport* r = out->add_calls();
    r->set_client(c.client);
    r->set_index(c.record.index);
    r->set_start_ms(Ms(c.record.started));
    r->set_end_ms(Ms(c.record.started + c.record.latency));
    r->set_latency_ms(Ms(c.record.latency));
    r->set_status(absl::StatusCodeToString(c.record.status.code()));
    r->set_message(std::string(c.record.status.message()));
    if (c.record.status.ok()) r->set_server(BackendName(s, c.record.server_id));
    const auto id = ids.find({c.client, c.record.index});
    if (id == ids.end()) continue;
    const auto entry = log_of.find(id->second);
    if (entry != log_of.end()) FillAttempts(s, *entry->second, r);
  }
}

}  // namespace

std::string RunToJson(const LoadedScenario& s, const ScenarioRun& run,
                      bool calls) {
  RunReport report;
  report.set_scenario(s.name);
  report.set_file(s.path);
  report.set_run(run.label);
  report.set_where(run.observed.where);
  report.set_seed(run.seed);
  if (run.observed.has_trace_hash) {
    report.set_trace_hash(absl::StrFormat("%016x", run.observed.trace_hash));
  }
  report.set_ok(run.ok());
  FillVerdicts(run, &report);
  FillSummary(s, run, report.mutable_summary());
  for (const std::string& n : run.observed.notes) report.add_notes(n);
  for (const std::string& d : run.drawn) report.add_drawn_faults(d);
  FillUnmodeled(s, &report);
  FillFaults(run, &report);
  if (calls) FillCalls(s, run, &report);
  return ProtoToJson(report, /*pretty=*/true);
}

std::string CompareToJson(const LoadedScenario& s, const ScenarioRun& live,
                          const ScenarioRun& simulated) {
  return absl::StrCat("{\"live\": ", RunToJson(s, live),
                      ",\n\"simulated\": ", RunToJson(s, simulated), "}\n");
}

}  // namespace saludo::scenario
