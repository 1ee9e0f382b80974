#include "scenario/report.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/summary.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "runtime/check.h"

namespace saludo::scenario {
namespace {

// The summary of every call the run observed (without copying the records).
client::LoadSummary SummarizeCalls(const ScenarioRun& run) {
  client::SummaryBuilder builder;
  for (const ScenarioCall& c : run.observed.calls) builder.Add(c.record);
  return std::move(builder).Finish();
}

}  // namespace

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

int TerminalColumns() {
  const char* text = std::getenv("COLUMNS");
  int columns = 0;
  if (text != nullptr && absl::SimpleAtoi(text, &columns) && columns >= 20 &&
      columns <= 1000) {
    return columns;
  }
  return 100;
}

std::string WrapLines(const std::string& text, size_t width) {
  std::string out;
  bool first_line = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!first_line) out += '\n';
    first_line = false;
    const size_t lead = line.find_first_not_of(' ');
    const std::string indent(
        std::min(lead == absl::string_view::npos ? 0 : lead, width / 2) + 2,
        ' ');
    size_t room = width;
    bool continued = false;
    while (line.size() > room) {
      size_t cut = line.rfind(' ', room);
      if (cut == absl::string_view::npos || cut == 0) cut = room;
      absl::StrAppend(&out, continued ? indent : "", line.substr(0, cut),
                      "\n");
      line.remove_prefix(cut);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      continued = true;
      room = width > indent.size() ? width - indent.size() : 1;
    }
    absl::StrAppend(&out, continued ? indent : "", line);
  }
  return out;
}

std::string SideBySide(const std::string& left_title, const std::string& left,
                       const std::string& right_title,
                       const std::string& right, int columns) {
  std::vector<std::string> l = absl::StrSplit(left, '\n', absl::SkipEmpty());
  std::vector<std::string> r = absl::StrSplit(right, '\n', absl::SkipEmpty());
  size_t width = left_title.size(), right_width = right_title.size();
  for (const auto& line : l) width = std::max(width, line.size());
  for (const auto& line : r) right_width = std::max(right_width, line.size());
  if (width + 3 + right_width > static_cast<size_t>(columns)) {
    // Too wide for the terminal: one above the other.
    return absl::StrCat("== ", left_title, " ==\n", WrapLines(left, columns),
                        "\n== ", right_title, " ==\n",
                        WrapLines(right, columns));
  }
  std::string out = absl::StrFormat("%-*s | %s\n", static_cast<int>(width),
                                    left_title, right_title);
  for (size_t i = 0; i < std::max(l.size(), r.size()); ++i) {
    absl::StrAppendFormat(&out, "%-*s | %s\n", static_cast<int>(width),
                          i < l.size() ? l[i] : "", i < r.size() ? r[i] : "");
  }
  return out;
}

std::string FormatRunSummary(const LoadedScenario& s, const ScenarioRun& run) {
  std::string out = absl::StrCat("scenario: ", s.name, " (", s.path, ")\n");
  absl::StrAppend(&out, run.observed.where, "\n");
  if (!run.observed.calls.empty()) {
    absl::StrAppend(&out, client::FormatSummary(SummarizeCalls(run)));
  } else {
    absl::StrAppend(&out, "no calls\n");
  }
  // Successful calls per backend in ten windows of the scenario.
  const int kBuckets = 10;
  const absl::Duration width = s.duration / kBuckets;
  std::map<int, std::vector<int64_t>> per_server;
  for (const ScenarioCall& c : run.observed.calls) {
    if (!c.record.status.ok()) continue;
    auto& row = per_server[c.record.server_id];
    row.resize(kBuckets);
    const int64_t b = std::min<int64_t>(kBuckets - 1, c.record.started / width);
    ++row[b];
  }
  absl::StrAppend(&out, "successful calls per server over time (", kBuckets,
                  " windows of ", absl::FormatDuration(width), "):\n");
  for (const auto& [id, row] : per_server) {
    absl::StrAppend(&out, absl::StrFormat("  servidor %d:", id));
    for (int64_t n : row) absl::StrAppend(&out, absl::StrFormat(" %6d", n));
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "properties:\n");
  for (const Verdict& v : run.verdicts) {
    absl::StrAppend(&out,
                    v.skipped ? "  SKIPPED "
                    : v.holds ? "  HOLDS  "
                              : "  FAILS  ",
                    v.property, ": ", v.measured, " (bound ", v.bound, ")\n");
    if (!v.holds && !v.first_violation.empty()) {
      absl::StrAppend(&out, "         ", v.first_violation, "\n");
    }
  }
  if (!run.drawn.empty()) {
    absl::StrAppend(&out, "drawn faults (", run.drawn.size(), ", seed ",
                    run.seed, "; --write_scenario writes them):\n");
    for (size_t i = 0; i < run.drawn.size() && i < 40; ++i) {
      absl::StrAppend(&out, "  ", run.drawn[i], "\n");
    }
    if (run.drawn.size() > 40) {
      absl::StrAppend(&out, "  ... and ", run.drawn.size() - 40, " more\n");
    }
  }
  for (const std::string& note : run.observed.notes) {
    absl::StrAppend(&out, note, "\n");
  }
  if (run.observed.has_trace_hash) {
    absl::StrAppend(
        &out, absl::StrFormat("trace hash %016x\n", run.observed.trace_hash));
  }
  return out;
}


SeedResult SeedToResult(const LoadedScenario& s,
                        const absl::StatusOr<ScenarioRun>& run,
                        uint64_t seed) {
  SeedResult r;
  r.set_scenario(s.name);
  r.set_file(s.path);
  r.set_seed(seed);
  for (const PropertySpec& p : s.properties) r.add_properties(p.label);
  if (!run.ok()) {
    r.set_error(run.status().ToString());
    return r;
  }
  r.set_ok(run->ok());
  r.set_trace_hash(absl::StrFormat("%016x", run->observed.trace_hash));
  for (const Verdict& v : run->verdicts) {
    if (!v.holds && !v.skipped) r.add_failed(v.property);
  }
  for (const std::string& sig : FailureSignatures(*run)) r.add_signatures(sig);
  for (const std::string& d : run->drawn) r.add_drawn(d);
  if (!run->observed.calls.empty()) {
    const client::LoadSummary sum = SummarizeCalls(*run);
    r.set_calls(sum.calls);
    r.set_ok_calls(sum.calls - sum.failed);
    r.set_latency_p50_ms(absl::ToDoubleMilliseconds(sum.latency.p50));
    r.set_latency_p99_ms(absl::ToDoubleMilliseconds(sum.latency.p99));
    r.set_latency_max_ms(absl::ToDoubleMilliseconds(sum.latency.max));
  }
  return r;
}

std::string ProtoToJson(const google::protobuf::Message& message,
                        bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  // The printer writes a map's entries in the order of the message's bytes,
  // and plain serialization leaves that to protobuf's hash maps (another
  // order in each process). Deterministic serialization sorts them by key.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    SALUDO_CHECK(message.SerializeToCodedStream(&coded));
  }
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  SALUDO_CHECK(message.GetDescriptor()->file()->pool() == pool);
  constexpr char kTypeUrlPrefix[] = "type.googleapis.com";
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix,
                                                               pool);
  std::string json;
  const auto status = google::protobuf::util::BinaryToJsonString(
      resolver,
      absl::StrCat(kTypeUrlPrefix, "/", message.GetDescriptor()->full_name()),
      bytes, &json, options);
  SALUDO_CHECK(status.ok());  // every field of ours is printable
  return json;
}

std::string SeedToJsonLine(const SeedResult& result) {
  return ProtoToJson(result, /*pretty=*/false);
}

}  // namespace saludo::scenario
