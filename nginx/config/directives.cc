#include "nginx/config/directives.h"

#include <limits>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace saludo::nginx {
namespace {

constexpr DirectiveSpec kDirectives[] = {
#include "nginx/config/directives.inc"
};

// Blocks whose contents are data, not directives (types, map, geo, ...).
bool OpaqueBlock(const std::string& name) {
  return name == "types" || name == "map" || name == "geo" ||
         name == "split_clients" || name == "charset_map";
}

// The context of the directives inside `block`, opened in `outer`.
uint16_t InnerContext(const Directive& block, uint16_t outer) {
  const std::string& n = block.name;
  if (n == "events") return kInEvents;
  if (n == "http") return kInHttp;
  if (n == "server" && outer == kInHttp) return kInServer;
  if (n == "location") return kInLocation;
  if (n == "upstream") return kInUpstream;
  if (n == "if") return outer == kInServer ? kInServerIf : kInLocationIf;
  if (n == "limit_except") return kInLimitExcept;
  return 0;
}

bool ArgumentsFit(const DirectiveSpec& spec, size_t n) {
  if (spec.shape & kAnyArgs) return true;
  if (spec.shape & kFlag) return n == 1;
  if (spec.shape & kOneOrMore) return n >= 1;
  if (spec.shape & kTwoOrMore) return n >= 2;
  return n <= 7 && (spec.arity & (1u << n)) != 0;
}

// The generic reader's verdict on the value: "" if nginx takes it.
std::string ValueError(const DirectiveSpec& spec, const Directive& d) {
  if (d.args.empty()) return "";
  const std::string& v = d.args[0];
  int64_t ms = 0, number = 0;
  switch (spec.reader) {
    case Reader::kFlagValue: {
      const std::string lower = absl::AsciiStrToLower(v);
      if (lower == "on" || lower == "off") return "";
      return absl::StrCat("invalid value \"", v, "\" in \"", d.name,
                          "\" directive, it must be \"on\" or \"off\"");
    }
    case Reader::kNumber:
      return ParseNginxNumber(v, &number)
                 ? ""
                 : absl::StrCat("\"", d.name, "\" directive invalid number");
    case Reader::kSize:
    case Reader::kOffset:
      return ParseNginxSize(v, spec.reader == Reader::kOffset, &number)
                 ? ""
                 : absl::StrCat("\"", d.name, "\" directive invalid value");
    case Reader::kMsec:
    case Reader::kSec:
      return ParseNginxTime(v, spec.reader == Reader::kSec, &ms)
                 ? ""
                 : absl::StrCat("\"", d.name, "\" directive invalid value");
    default:
      return "";
  }
}

// Generic readers refuse a second value in one block, and so do these
// modules' own readers; bitmasks (which accumulate) do not.
bool RefusesDuplicate(const DirectiveSpec& spec) {
  static const char* const kOwnSingle[] = {
      "events", "http", "grpc_pass", "keepalive", "worker_processes"};
  if (spec.reader == Reader::kOwn) {
    for (const char* name : kOwnSingle) {
      if (std::string(spec.name) == name) return true;
    }
    return false;
  }
  return spec.reader != Reader::kBitmask;
}

absl::Status CheckBlock(const std::vector<Directive>& block, uint16_t context);

absl::Status CheckOne(const Directive& d, uint16_t context,
                      std::map<std::string, bool>* seen) {
  bool named = false;
  for (const DirectiveSpec& spec : kDirectives) {
    if (d.name != spec.name) continue;
    named = true;
    if ((spec.contexts & context) == 0) continue;
    const bool block = (spec.shape & kBlock) != 0;
    if (!block && d.has_block) {
      return LocatedError(d.where,
                          absl::StrCat("directive \"", d.name,
                                       "\" is not terminated by \";\""));
    }
    if (block && !d.has_block) {
      return LocatedError(d.where, absl::StrCat("directive \"", d.name,
                                                "\" has no opening \"{\""));
    }
    if (!ArgumentsFit(spec, d.args.size())) {
      return LocatedError(
          d.where, absl::StrCat("invalid number of arguments in \"", d.name,
                                "\" directive"));
    }
    if (RefusesDuplicate(spec) && !(*seen)[d.name]) {
      (*seen)[d.name] = true;
    } else if (RefusesDuplicate(spec)) {
      return LocatedError(
          d.where, absl::StrCat("\"", d.name, "\" directive is duplicate"));
    }
    if (std::string why = ValueError(spec, d); !why.empty()) {
      return LocatedError(
          d.arg_locations.empty() ? d.where : d.arg_locations[0], why);
    }
    if (!block || OpaqueBlock(d.name)) return absl::OkStatus();
    return CheckBlock(d.block, InnerContext(d, context));
  }
  return LocatedError(
      d.where,
      named ? absl::StrCat("\"", d.name, "\" directive is not allowed here")
            : absl::StrCat("unknown directive \"", d.name, "\""));
}

absl::Status CheckBlock(const std::vector<Directive>& block,
                        uint16_t context) {
  std::map<std::string, bool> seen;
  for (const Directive& d : block) {
    if (absl::Status s = CheckOne(d, context, &seen); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

bool ParseNginxNumber(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t n = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    n = n * 10 + (c - '0');
  }
  *out = n;
  return true;
}

bool ParseNginxSize(const std::string& text, bool allow_g, int64_t* bytes) {
  if (text.empty()) return false;
  const char suffix =
      absl::ascii_tolower(static_cast<unsigned char>(text.back()));
  const int64_t unit = suffix == 'k'              ? int64_t{1} << 10
                       : suffix == 'm'            ? int64_t{1} << 20
                       : allow_g && suffix == 'g' ? int64_t{1} << 30
                                                  : 1;
  int64_t n = 0;
  if (!ParseNginxNumber(unit == 1 ? text : text.substr(0, text.size() - 1),
                        &n) ||
      n > std::numeric_limits<int64_t>::max() / unit) {
    return false;
  }
  *bytes = n * unit;
  return true;
}

bool ParseNginxTime(const std::string& text, bool whole_seconds,
                    int64_t* ms_out) {
  // Units from the largest down; each may appear once, in this order.
  struct Unit {
    const char* name;
    int64_t seconds;
  };
  static constexpr Unit kUnits[] = {{"y", 365 * 86400}, {"M", 30 * 86400},
                                    {"w", 7 * 86400},   {"d", 86400},
                                    {"h", 3600},        {"m", 60},
                                    {"s", 1}};
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
  // With milliseconds allowed nginx starts past "M": y and M are refused.
  int next_unit = whole_seconds ? 0 : 2;
  int64_t total_ms = 0;
  int64_t value = 0;
  bool any_digit = false;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      if (value > (kMax - (c - '0')) / 10) return false;
      value = value * 10 + (c - '0');
      any_digit = true;
      ++i;
      continue;
    }
    int64_t unit_ms = 0;
    if (c == 'm' && i + 1 < text.size() && text[i + 1] == 's') {
      if (whole_seconds || next_unit > 7) return false;
      unit_ms = 1;
      next_unit = 8;
      i += 2;
    } else if (c == ' ') {
      if (next_unit > 6) return false;  // only before seconds
      unit_ms = 1000;
      next_unit = 9;
      ++i;
    } else {
      int found = -1;
      for (int u = next_unit; u < 7; ++u) {
        if (c == kUnits[u].name[0]) found = u;
      }
      if (found < 0) return false;
      unit_ms = kUnits[found].seconds * 1000;
      next_unit = found + 1;
      ++i;
    }
    if (value > kMax / unit_ms) return false;
    total_ms += value * unit_ms;
    if (total_ms > kMax) return false;
    value = 0;
    while (i < text.size() && text[i] == ' ') ++i;
  }
  if (!any_digit || value > kMax / 1000) return false;
  total_ms += value * 1000;
  if (total_ms > kMax) return false;
  *ms_out = total_ms;
  return true;
}

absl::Status CheckDirectives(const std::vector<Directive>& top) {
  if (absl::Status s = CheckBlock(top, kInMain); !s.ok()) return s;
  for (const Directive& d : top) {
    if (d.name == "events") return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "no \"events\" section in configuration (nginx requires one, even "
      "empty: events {})");
}

}  // namespace saludo::nginx
