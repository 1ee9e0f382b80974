#include "scenario/validator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "scenario/loader.h"

namespace saludo::scenario {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

FieldPath Sub(FieldPath at, const std::string& field) {
  at.emplace_back(field, -1);
  return at;
}

Validator::Validator(std::string path, const TextFormat::ParseInfoTree* tree)
    : path_(std::move(path)), tree_(tree) {}

absl::Status Validator::Error(const FieldPath& field,
                              const std::string& what) const {
  int line = 0, column = 0;
  Locate(field, &line, &column);
  std::string name;
  for (const auto& [f, i] : field) {
    if (!name.empty()) name += ".";
    name += i >= 0 ? absl::StrCat(f, "[", i, "]") : f;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path_, ":", line, ":", column, ": ", name, ": ", what));
}

absl::Status Validator::Duration(const FieldPath& field,
                                 const std::string& text, absl::Duration* out,
                                 bool required, absl::Duration fallback) const {
  if (text.empty()) {
    if (required) {
      return Error(field, "missing: expected a duration such as \"1.5s\"");
    }
    *out = fallback;
    return absl::OkStatus();
  }
  if (!ParseScenarioDuration(text, out)) {
    return Error(field, absl::StrCat("expected a duration such as \"1.5s\" or "
                                     "\"250ms\", got \"",
                                     text, "\""));
  }
  return absl::OkStatus();
}

absl::Status Validator::SignedDuration(const FieldPath& field,
                                       const std::string& text,
                                       absl::Duration* out) const {
  if (!absl::ParseDuration(text, out) || *out == absl::InfiniteDuration() ||
      *out == -absl::InfiniteDuration()) {
    return Error(field, absl::StrCat("expected a signed duration such as "
                                     "\"5s\" or \"-250ms\", got \"",
                                     text, "\""));
  }
  return absl::OkStatus();
}

void Validator::Locate(const FieldPath& field, int* line, int* column) const {
  const Descriptor* d = Scenario::descriptor();
  const TextFormat::ParseInfoTree* tree = tree_;
  *line = 1;
  *column = 1;
  for (size_t k = 0; k < field.size() && tree != nullptr && d != nullptr; ++k) {
    const FieldDescriptor* f = d->FindFieldByName(field[k].first);
    if (f == nullptr) return;
    const int index = f->is_repeated() ? std::max(field[k].second, 0) : -1;
    TextFormat::ParseLocation loc = tree->GetLocation(f, index);
    if (loc.line >= 0) {
      *line = loc.line + 1;
      *column = loc.column + 1;
    }
    if (f->type() != FieldDescriptor::TYPE_MESSAGE) return;
    tree = tree->GetTreeForNested(f, index);
    d = f->message_type();
  }
}

namespace {

// Two durations of a distribution ("low"/"high", "mean"/"stddev"): both
// reported at the kind's field, as the loader always did.
absl::Status Two(const Validator& v, const FieldPath& at, const std::string& a,
                 const std::string& b, absl::Duration* x, absl::Duration* y) {
  if (auto s = v.Duration(at, a, x, true); !s.ok()) return s;
  return v.Duration(at, b, y, true);
}

}  // namespace

absl::Status ParseLatency(const Validator& v, const FieldPath& at,
                          const Latency& l, sim::Distribution* out) {
  using sim::Distribution;
  absl::Duration a, b;
  switch (l.kind_case()) {
    case Latency::kFixed:
      if (auto s = v.Duration(Sub(at, "fixed"), l.fixed(), &a, true); !s.ok())
        return s;
      *out = Distribution::Fixed(a);
      return absl::OkStatus();
    case Latency::kUniform:
      if (auto s = Two(v, Sub(at, "uniform"), l.uniform().low(),
                       l.uniform().high(), &a, &b);
          !s.ok())
        return s;
      if (a > b) return v.Error(Sub(at, "uniform"), "low must not exceed high");
      *out = Distribution::Uniform(a, b);
      return absl::OkStatus();
    case Latency::kNormal:
      if (auto s = Two(v, Sub(at, "normal"), l.normal().mean(),
                       l.normal().stddev(), &a, &b);
          !s.ok())
        return s;
      *out = Distribution::Normal(a, b);
      return absl::OkStatus();
    case Latency::kExponentialMean:
      if (auto s = v.Duration(Sub(at, "exponential_mean"), l.exponential_mean(),
                              &a, true);
          !s.ok())
        return s;
      *out = Distribution::Exponential(a);
      return absl::OkStatus();
    case Latency::kLognormal:
      if (auto s = v.Duration(Sub(at, "lognormal"), l.lognormal().median(), &a,
                              true);
          !s.ok())
        return s;
      if (!(l.lognormal().sigma() >= 0 && l.lognormal().sigma() <= 100)) {
        return v.Error(Sub(at, "lognormal"), "sigma must be in [0, 100]");
      }
      *out = Distribution::LogNormal(a, l.lognormal().sigma());
      return absl::OkStatus();
    case Latency::kPareto:
      if (auto s = v.Duration(Sub(at, "pareto"), l.pareto().min(), &a, true);
          !s.ok())
        return s;
      if (!(l.pareto().alpha() > 0 && l.pareto().alpha() <= 1000)) {
        return v.Error(Sub(at, "pareto"), "alpha must be in (0, 1000]");
      }
      *out = Distribution::Pareto(a, l.pareto().alpha());
      return absl::OkStatus();
    case Latency::KIND_NOT_SET:
      break;
  }
  return v.Error(at,
                 "expected one of fixed, uniform, normal, exponential_mean, "
                 "lognormal, pareto");
}

absl::Status ParseLink(const Validator& v, const FieldPath& at, const Link& l,
                       LinkSpec* out) {
  if (l.has_latency()) {
    if (auto s =
            ParseLatency(v, Sub(at, "latency"), l.latency(), &out->latency);
        !s.ok())
      return s;
  }
  if (!(l.loss() >= 0 && l.loss() <= 1)) {
    return v.Error(Sub(at, "loss"), "expected a probability in [0, 1]");
  }
  if (!(l.duplicate() >= 0 && l.duplicate() <= 1)) {
    return v.Error(Sub(at, "duplicate"), "expected a probability in [0, 1]");
  }
  out->loss = l.loss();
  out->duplicate = l.duplicate();
  return absl::OkStatus();
}

bool ParseStatusCode(const std::string& name, absl::StatusCode* code) {
  for (int c = 1; c <= 16; ++c) {
    if (absl::StatusCodeToString(static_cast<absl::StatusCode>(c)) == name) {
      *code = static_cast<absl::StatusCode>(c);
      return true;
    }
  }
  return false;
}

}  // namespace saludo::scenario
