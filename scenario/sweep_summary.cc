#include "scenario/sweep_summary.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace saludo::scenario {
namespace {

// One shell word: 'text', with any ' inside written as '\''.
std::string ShellQuote(const std::string& text) {
  return "'" + absl::StrReplaceAll(text, {{"'", "'\\''"}}) + "'";
}

std::string XmlEscape(const std::string& text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"},
                                    {"<", "&lt;"},
                                    {">", "&gt;"},
                                    {"\"", "&quot;"},
                                    {"'", "&apos;"}});
}

}  // namespace

absl::Status SweepSummary::Add(const SeedResult& r) {
  if (seeds_ == 0) {
    scenario_ = r.scenario();
    file_ = r.file();
    properties_.assign(r.properties().begin(), r.properties().end());
  } else if (r.file() != file_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seed ", r.seed(), " is of ", r.file(), ", not ", file_));
  }
  if (!counted_.insert(r.seed()).second) {
    return absl::InvalidArgumentError(
        absl::StrCat("seed ", r.seed(), " is counted twice"));
  }
  ++seeds_;
  if (r.calls() > 0) {
    const double rate = static_cast<double>(r.ok_calls()) / r.calls();
    ++rate_bins_[std::clamp(static_cast<int>(rate * kRateBins), 0, kRateBins)];
    if (r.latency_p99_ms() > 0) {
      ++p99_bins_[static_cast<int>(std::floor(4 * std::log10(r.latency_p99_ms())))];
    }
  }
  const bool failed = !r.error().empty() || !r.ok();
  if (!failed) return absl::OkStatus();
  ++failed_;
  failed_seeds_.insert(r.seed());
  if (failed_seeds_.size() > kKept) failed_seeds_.erase(--failed_seeds_.end());
  if (!r.error().empty()) {
    errors_[r.seed()] = r.error();
    if (errors_.size() > kKept) errors_.erase(--errors_.end());
  }
  for (const std::string& property : r.failed()) ++broken_[property];
  for (const std::string& sig : r.signatures()) {
    Signature& entry = signatures_[sig];
    ++entry.seeds;
    if (r.seed() < entry.smallest) {
      entry.smallest = r.seed();
      entry.drawn.assign(r.drawn().begin(), r.drawn().end());
    }
  }
  return absl::OkStatus();
}

std::string SweepSummary::Replay(uint64_t seed) const {
  return absl::StrCat("bazel run //sim -- run ", file_, " --seed=", seed);
}

std::string SweepSummary::Shrink(uint64_t seed,
                                 const std::string& signature) const {
  return absl::StrCat("bazel run //sim -- shrink ", file_, " --seed=", seed,
                      " --signature=", ShellQuote(signature));
}

size_t SweepSummary::BrokenIn(const std::string& property) const {
  const auto it = broken_.find(property);
  return it == broken_.end() ? 0 : it->second;
}

std::vector<SweepSummary::SignatureStat> SweepSummary::Signatures() const {
  std::vector<SignatureStat> sorted;
  for (const auto& [signature, stat] : signatures_) {
    sorted.push_back({signature, stat.seeds, stat.smallest, stat.drawn});
  }
  // Most seeds first; ties by signature (the map's order).
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const SignatureStat& a, const SignatureStat& b) {
                     return a.seeds > b.seeds;
                   });
  return sorted;
}

std::string SweepSummary::SignatureLines(const std::string& indent) const {
  std::string out;
  for (const SignatureStat& stat : Signatures()) {
    std::string drawn = absl::StrJoin(stat.drawn, "; ");
    if (drawn.size() > 300) drawn = drawn.substr(0, 297) + "...";
    absl::StrAppend(
        &out, indent, stat.seeds, stat.seeds == 1 ? " seed: " : " seeds: ",
        stat.signature, "\n", indent, "  smallest seed ", stat.smallest,
        " drew: ", drawn.empty() ? "(nothing: a fixed timeline)" : drawn,
        "\n", indent, "  replay: ", Replay(stat.smallest), "\n", indent,
        "  shrink: ", Shrink(stat.smallest, stat.signature), "\n");
  }
  return out;
}

std::string SweepSummary::Text() const {
  std::string out;
  for (const auto& [seed, error] : errors_) {
    absl::StrAppend(&out, "error: seed ", seed, ": ", error, "\n");
  }
  for (const std::string& p : properties_) {
    const size_t n = BrokenIn(p);
    absl::StrAppend(&out, "  ", n == 0 ? "HOLDS  " : "BROKE  ", p,
                    n == 0 ? "" : absl::StrCat(": in ", n, " seeds"), "\n");
  }
  // A few; the signatures below say more, --out_json has all.
  size_t listed = 0;
  for (uint64_t seed : failed_seeds_) {
    if (listed++ == 5) break;
    absl::StrAppend(&out, "failed seed ", seed, ": replay with: ",
                    Replay(seed), "\n");
  }
  if (failed_ > 5) {
    absl::StrAppend(&out, "... and ", failed_ - 5, " more failed seeds\n");
  }
  if (!signatures_.empty()) {
    absl::StrAppend(&out, "failure signatures (", signatures_.size(),
                    "): property (cause) [faults in force at its first "
                    "offending call]\n",
                    SignatureLines("  "));
  }
  return out;
}

std::string SweepSummary::JUnit(absl::Duration elapsed) const {
  const std::string name = XmlEscape(scenario_);
  const size_t cases = properties_.size() + (errors_.empty() ? 0 : 1);
  const size_t failures = broken_.size() + (errors_.empty() ? 0 : 1);
  std::string out = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"sim\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">\n"
      "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">\n"
      "    <properties>\n"
      "      <property name=\"file\" value=\"%s\"/>\n"
      "      <property name=\"seeds\" value=\"%d\"/>\n"
      "      <property name=\"failed_seeds\" value=\"%d\"/>\n"
      "    </properties>\n",
      cases, failures, absl::ToDoubleSeconds(elapsed), name, cases, failures,
      absl::ToDoubleSeconds(elapsed), XmlEscape(file_), seeds_, failed_);
  for (const std::string& p : properties_) {
    absl::StrAppend(&out, "    <testcase classname=\"", name, "\" name=\"",
                    XmlEscape(p), "\">");
    const auto it = broken_.find(p);
    if (it != broken_.end()) {
      std::string detail;
      for (const auto& [sig, stat] : signatures_) {
        if (sig.rfind(p, 0) != 0) continue;
        absl::StrAppend(&detail, stat.seeds, " seeds: ", sig,
                        "; smallest seed ", stat.smallest, ": ",
                        Replay(stat.smallest), "\n");
      }
      absl::StrAppend(&out, "\n      <failure type=\"property\" message=\"",
                      XmlEscape(absl::StrCat("broke in ", it->second, " of ",
                                             seeds_, " seeds")),
                      "\">", XmlEscape(detail), "</failure>\n    ");
    }
    absl::StrAppend(&out, "</testcase>\n");
  }
  if (!errors_.empty()) {
    std::string detail;
    for (const auto& [seed, error] : errors_) {
      absl::StrAppend(&detail, "seed ", seed, ": ", error, "\n");
    }
    absl::StrAppend(&out, "    <testcase classname=\"", name,
                    "\" name=\"every seed runs\">\n      <error message=\"",
                    errors_.size(), " seeds could not be run\">",
                    XmlEscape(detail), "</error>\n    </testcase>\n");
  }
  absl::StrAppend(&out, "  </testsuite>\n</testsuites>\n");
  return out;
}

}  // namespace saludo::scenario
