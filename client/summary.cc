#include "client/summary.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "runtime/check.h"
#include "runtime/rpc.h"

namespace saludo::client {
namespace {

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.3fms", absl::ToDoubleMilliseconds(d));
}

size_t NearestRank(size_t n, double q) {
  SALUDO_CHECK(n > 0);
  SALUDO_CHECK(q > 0 && q <= 1);
  const size_t rank = static_cast<size_t>(std::ceil(q * n));
  return std::max<size_t>(rank, 1);
}

}  // namespace

absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double q) {
  return sorted[NearestRank(sorted.size(), q) - 1];
}

std::vector<absl::Duration> Percentiles(std::vector<absl::Duration> values,
                                        const std::vector<double>& qs) {
  std::vector<absl::Duration> out;
  auto from = values.begin();
  for (double q : qs) {
    const auto nth = values.begin() + (NearestRank(values.size(), q) - 1);
    SALUDO_CHECK(nth >= from || nth + 1 == from);  // qs ascend
    if (nth >= from) {
      std::nth_element(from, nth, values.end());
      from = nth + 1;
    }
    out.push_back(*nth);
  }
  return out;
}

void SummaryBuilder::Add(const CallRecord& r) {
  ++s_.calls;
  const int code = static_cast<int>(runtime::CodeOf(r.status));
  SALUDO_CHECK(code >= 0 && code < kCodes);  // absl::Status keeps it there
  ++per_code_[code];
  if (r.status.ok()) {
    if (r.server_id >= 0 && r.server_id < kServers) {
      ++per_server_[r.server_id];
    } else {
      ++s_.calls_per_server[r.server_id];
    }
  } else {
    ++s_.failed;
  }
  latencies_.push_back(r.latency);
  first_start_ = std::min(first_start_, r.started);
  last_end_ = std::max(last_end_, r.started + r.latency);
}

LoadSummary SummaryBuilder::Finish() && {
  // A count above zero is a key Add saw: the maps get the keys they would
  // have got one call at a time.
  for (int i = 0; i < kCodes; ++i) {
    if (per_code_[i] > 0) {
      s_.calls_per_status[static_cast<absl::StatusCode>(i)] += per_code_[i];
    }
  }
  for (int i = 0; i < kServers; ++i) {
    if (per_server_[i] > 0) s_.calls_per_server[i] += per_server_[i];
  }
  if (latencies_.empty()) return s_;
  const std::vector<absl::Duration> p =
      Percentiles(std::move(latencies_), {0.50, 0.90, 0.99, 1.0});
  s_.latency = {p[0], p[1], p[2], p[3]};
  s_.elapsed = last_end_ - first_start_;
  if (s_.elapsed > absl::ZeroDuration()) {
    s_.calls_per_second = s_.calls / absl::ToDoubleSeconds(s_.elapsed);
  }
  return s_;
}

LoadSummary Summarize(const std::vector<CallRecord>& records) {
  SummaryBuilder builder;
  for (const CallRecord& r : records) builder.Add(r);
  return std::move(builder).Finish();
}

std::string FormatCall(const CallRecord& r) {
  if (r.status.ok()) {
    return absl::StrCat("[", r.index + 1, "] servidor ", r.server_id, ": ",
                        r.mensaje, " (", Ms(r.latency), ")");
  }
  return absl::StrCat("[", r.index + 1, "] ",
                      absl::StatusCodeToString(r.status.code()), ": ",
                      r.status.message(), " (", Ms(r.latency), ")");
}

std::string FormatSummary(const LoadSummary& s) {
  std::string out =
      absl::StrCat("calls: ", s.calls, " ok: ", s.calls - s.failed,
                   " failed: ", s.failed, "\n");
  absl::StrAppend(&out, "per server:");
  if (s.calls_per_server.empty()) absl::StrAppend(&out, " none");
  for (const auto& [id, n] : s.calls_per_server) {
    absl::StrAppend(&out, " servidor ", id, "=", n);
  }
  absl::StrAppend(&out, "\nper status:");
  for (const auto& [code, n] : s.calls_per_status) {
    absl::StrAppend(&out, " ", absl::StatusCodeToString(code), "=", n);
  }
  absl::StrAppend(&out, "\nlatency: p50=", Ms(s.latency.p50),
                  " p90=", Ms(s.latency.p90), " p99=", Ms(s.latency.p99),
                  " max=", Ms(s.latency.max), "\n");
  absl::StrAppend(&out, absl::StrFormat("throughput: %.0f calls/s over %s\n",
                                        s.calls_per_second, Ms(s.elapsed)));
  return out;
}

std::string SummaryToJson(const LoadSummary& s) {
  // Keys are fixed and status names are identifiers: nothing to escape.
  auto ms = [](absl::Duration d) {
    return absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(d));
  };
  std::vector<std::string> servers, statuses;
  for (const auto& [id, n] : s.calls_per_server) {
    servers.push_back(absl::StrCat("\"", id, "\":", n));
  }
  for (const auto& [code, n] : s.calls_per_status) {
    statuses.push_back(
        absl::StrCat("\"", absl::StatusCodeToString(code), "\":", n));
  }
  return absl::StrCat(
      "{\"calls\":", s.calls, ",\"ok\":", s.calls - s.failed,
      ",\"failed\":", s.failed, ",\"per_server\":{",
      absl::StrJoin(servers, ","), "},\"per_status\":{",
      absl::StrJoin(statuses, ","), "},\"latency_ms\":{\"p50\":",
      ms(s.latency.p50), ",\"p90\":", ms(s.latency.p90), ",\"p99\":",
      ms(s.latency.p99), ",\"max\":", ms(s.latency.max),
      "},\"elapsed_ms\":", ms(s.elapsed), ",\"calls_per_second\":",
      absl::StrFormat("%.1f", s.calls_per_second), "}\n");
}

}  // namespace saludo::client
