// What a sweep or an exploration found over its seeds, summarised the same
// way whether the seeds ran in one process or in shards whose `--out_json`
// files are merged afterwards (`sim merge`): per property in how many seeds
// it broke, the smallest failed seeds, and per failure signature how many
// seeds, the smallest one, what it drew, and how to replay and shrink it.
// Adding the same results in any order gives the same summary.
#ifndef SALUDO_SCENARIO_SWEEP_SUMMARY_H_
#define SALUDO_SCENARIO_SWEEP_SUMMARY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/scenario.pb.h"

namespace saludo::scenario {

class SweepSummary {
 public:
  // Counts one seed. Not thread-safe. INVALID_ARGUMENT (and nothing
  // counted) if it is of another scenario file than the first, or a seed
  // already counted.
  absl::Status Add(const SeedResult& result);

  size_t seeds() const { return seeds_; }
  // Seeds with a broken property or an error.
  size_t failed() const { return failed_; }
  bool ok() const { return failed_ == 0; }
  const std::string& scenario() const { return scenario_; }
  const std::string& file() const { return file_; }

  // "N passed, N failed"-style report lines after a first line the caller
  // writes: errors, each property HOLDS or BROKE in how many seeds, a few
  // failed seeds with their replay command, and the failure signatures.
  std::string Text() const;
  // A JUnit XML report for CI systems: one test case per property (a
  // failure lists its signatures with their smallest seeds and replay
  // commands), and one for errors if any seed could not be run.
  std::string JUnit(absl::Duration elapsed) const;

  // The command that replays `seed` of this scenario.
  std::string Replay(uint64_t seed) const;
  // The command that shrinks `seed` keeping `signature`.
  std::string Shrink(uint64_t seed, const std::string& signature) const;

  // The properties, as the first result listed them, and in how many seeds
  // each broke.
  const std::vector<std::string>& properties() const { return properties_; }
  size_t BrokenIn(const std::string& property) const;

  struct SignatureStat {
    std::string signature;
    size_t seeds = 0;
    uint64_t smallest = 0;           // the smallest seed with it
    std::vector<std::string> drawn;  // what that seed drew
  };
  // Most seeds first; ties by signature.
  std::vector<SignatureStat> Signatures() const;

  // Distributions across the seeds that ran calls: success rate in
  // kRateBins bins of [0, 1) plus one for exactly 1; p99 latency by
  // quarter decade of milliseconds (key k: [10^(k/4), 10^((k+1)/4)) ms).
  static constexpr int kRateBins = 20;
  const std::vector<int64_t>& success_rate_bins() const { return rate_bins_; }
  const std::map<int, int64_t>& p99_bins() const { return p99_bins_; }

 private:
  static constexpr size_t kKept = 1000;  // failed seeds and errors listed
  struct Signature {
    size_t seeds = 0;
    uint64_t smallest = UINT64_MAX;
    std::vector<std::string> drawn;
  };
  std::string SignatureLines(const std::string& indent) const;

  std::string scenario_, file_;
  std::vector<std::string> properties_;  // as the first result lists them
  size_t seeds_ = 0, failed_ = 0;
  std::set<uint64_t> counted_;
  std::set<uint64_t> failed_seeds_;         // the smallest kKept
  std::map<uint64_t, std::string> errors_;  // the smallest kKept, by seed
  std::map<std::string, size_t> broken_;    // seeds, by property
  std::map<std::string, Signature> signatures_;
  std::vector<int64_t> rate_bins_ = std::vector<int64_t>(kRateBins + 1, 0);
  std::map<int, int64_t> p99_bins_;
};

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_SWEEP_SUMMARY_H_
