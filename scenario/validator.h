// What every section loader uses to read values and report problems: a field
// path ("faults[2].hang.duration"), its place in the file (file:line:column,
// from protobuf's ParseInfoTree), and readers for durations, latency
// distributions, links and status codes. Internal to the loader.
#ifndef SALUDO_SCENARIO_VALIDATOR_H_
#define SALUDO_SCENARIO_VALIDATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "proto/scenario.pb.h"
#include "scenario/model.h"

namespace saludo::scenario {

// A field path like {{"faults", 2}, {"hang", -1}, {"duration", -1}}.
using FieldPath = std::vector<std::pair<std::string, int>>;

// `at` with one more field (not repeated).
FieldPath Sub(FieldPath at, const std::string& field);

class Validator {
 public:
  // REQUIRES: `tree` outlives this object.
  Validator(std::string path,
            const google::protobuf::TextFormat::ParseInfoTree* tree);

  // "file:line:col: faults[2].hang.duration: <what>" as INVALID_ARGUMENT.
  absl::Status Error(const FieldPath& field, const std::string& what) const;

  // Parses a required duration field, or an optional one that is `fallback`
  // when empty. Durations are >= 0 and finite.
  absl::Status Duration(const FieldPath& field, const std::string& text,
                        absl::Duration* out, bool required,
                        absl::Duration fallback = absl::ZeroDuration()) const;
  // A duration that may be negative ("-250ms"), finite.
  absl::Status SignedDuration(const FieldPath& field, const std::string& text,
                              absl::Duration* out) const;

  const std::string& path() const { return path_; }

 private:
  void Locate(const FieldPath& field, int* line, int* column) const;

  std::string path_;
  const google::protobuf::TextFormat::ParseInfoTree* tree_;
};

absl::Status ParseLatency(const Validator& v, const FieldPath& at,
                          const Latency& latency, sim::Distribution* out);
absl::Status ParseLink(const Validator& v, const FieldPath& at,
                       const Link& link, LinkSpec* out);
// A gRPC status name ("UNAVAILABLE") other than OK.
bool ParseStatusCode(const std::string& name, absl::StatusCode* code);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_VALIDATOR_H_
