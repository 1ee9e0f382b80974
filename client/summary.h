// What a burst of calls amounted to: counts per server and per status, and
// latency percentiles; and its text form.
#ifndef SALUDO_CLIENT_SUMMARY_H_
#define SALUDO_CLIENT_SUMMARY_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/load_client.h"

namespace saludo::client {

struct LatencySummary {
  absl::Duration p50, p90, p99, max;
};

// Nearest-rank percentile (q in (0, 1]) of `sorted`, which must be ascending.
// REQUIRES: !sorted.empty()
absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double q);

// Nearest-rank percentiles of `values` (in any order), one per q of `qs`
// (ascending, each in (0, 1]): what Percentile gives for the sorted values,
// found with std::nth_element (each in the part right of the one before)
// instead of a full sort. REQUIRES: !values.empty()
std::vector<absl::Duration> Percentiles(std::vector<absl::Duration> values,
                                        const std::vector<double>& qs);

struct LoadSummary {
  int64_t calls = 0;
  int64_t failed = 0;
  std::map<int, int64_t> calls_per_server;  // successful calls only
  std::map<absl::StatusCode, int64_t> calls_per_status;
  LatencySummary latency;  // over all calls
  absl::Duration elapsed;  // first start to last completion
  double calls_per_second = 0;
};

LoadSummary Summarize(const std::vector<CallRecord>& records);

// Summarize one record at a time, for records kept inside something else
// (no copy of them is needed).
class SummaryBuilder {
 public:
  void Add(const CallRecord& record);
  // The summary of every record added. Call once.
  LoadSummary Finish() &&;

 private:
  // Counted by index while adding, into s_'s maps at Finish (a server id
  // outside these goes to its map at once).
  static constexpr int kCodes = 17;  // absl::StatusCode 0 (OK) to 16
  static constexpr int kServers = 16;
  LoadSummary s_;
  std::array<int64_t, kCodes> per_code_{};
  std::array<int64_t, kServers> per_server_{};
  std::vector<absl::Duration> latencies_;
  absl::Duration first_start_ = absl::InfiniteDuration();
  absl::Duration last_end_ = -absl::InfiniteDuration();
};

// One line per call: "[3] servidor 1: Hola, ... (1.2ms)" or
// "[4] UNAVAILABLE: message (1.0s)".
std::string FormatCall(const CallRecord& record);

// A few lines: per-server counts, status counts, latency, throughput.
std::string FormatSummary(const LoadSummary& summary);

// The same as one JSON object (what load tools such as ghz and k6 print):
// {"calls","ok","failed","per_server":{"1":n},"per_status":{"OK":n},
//  "latency_ms":{"p50","p90","p99","max"},"elapsed_ms","calls_per_second"}.
std::string SummaryToJson(const LoadSummary& summary);

}  // namespace saludo::client

#endif  // SALUDO_CLIENT_SUMMARY_H_
