// nginx's own rules for every directive of Debian's nginx 1.22 (nginx-light's
// modules): whether it exists, where it may appear, how many arguments it
// takes, block or not, the values of nginx's generic readers (on/off,
// numbers, sizes, times) and "is duplicate" within one block. The table is
// generated from nginx's sources (tools/nginx_directives/generate.py), so
// these rules live in one place and match nginx's wording.
#ifndef SALUDO_NGINX_CONFIG_DIRECTIVES_H_
#define SALUDO_NGINX_CONFIG_DIRECTIVES_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "nginx/config/parser.h"

namespace saludo::nginx {

// Where a directive may appear (nginx's *_CONF bits).
enum DirectiveContext : uint16_t {
  kInMain = 1 << 0,
  kInEvents = 1 << 1,
  kInHttp = 1 << 2,
  kInServer = 1 << 3,
  kInLocation = 1 << 4,
  kInUpstream = 1 << 5,
  kInServerIf = 1 << 6,     // if inside server
  kInLocationIf = 1 << 7,   // if inside location
  kInLimitExcept = 1 << 8,  // limit_except inside location
  kAnywhere = 0x1ff,
};

// The directive's shape besides a fixed number of arguments.
enum DirectiveShape : uint8_t {
  kBlock = 1 << 0,       // takes { ... }
  kFlag = 1 << 1,        // exactly one argument, on or off
  kAnyArgs = 1 << 2,     // any number
  kOneOrMore = 1 << 3,   // at least one
  kTwoOrMore = 1 << 4,   // at least two
};

// How nginx reads the value when it uses one of its generic readers.
enum class Reader : uint8_t {
  kOwn,  // the module's own code (checked elsewhere, if the twin reads it)
  kFlagValue,
  kString,
  kNumber,
  kSize,    // bytes, k, m
  kOffset,  // bytes, k, m, g
  kMsec,    // nginx time, milliseconds allowed
  kSec,     // nginx time, whole seconds ("ms" refused)
  kEnum,
  kBitmask,
};

struct DirectiveSpec {
  const char* name;
  uint16_t contexts;  // DirectiveContext bits
  uint8_t arity;      // bit n: n arguments allowed (0..7)
  uint8_t shape;      // DirectiveShape bits
  Reader reader;
};

// nginx's time syntax ("1h 30m", "500ms", "10" seconds): units y M w d h m s
// ms, each at most once and from the largest down; `whole_seconds` refuses
// ms (and, as nginx does, y and M are refused where ms are allowed).
// Milliseconds; false if nginx would say "invalid value".
bool ParseNginxTime(const std::string& text, bool whole_seconds,
                    int64_t* ms_out);

// nginx's ngx_atoi: digits only (no sign, no spaces), at most 18 of them.
bool ParseNginxNumber(const std::string& text, int64_t* out);

// nginx's sizes (ngx_parse_size) and, with `allow_g`, offsets
// (ngx_parse_offset): a number with an optional k/K or m/M (or g/G) suffix.
// Bytes; false if nginx would say "invalid value".
bool ParseNginxSize(const std::string& text, bool allow_g, int64_t* bytes);

// Checks `top` (a whole file, includes inlined) as nginx's configuration
// reader does before any module looks at values: every directive known,
// allowed where it is, its number of arguments, its block, generic values
// and duplicates; and an events section present. INVALID_ARGUMENT
// "file:line: <nginx's message>" for the first violation.
absl::Status CheckDirectives(const std::vector<Directive>& top);

}  // namespace saludo::nginx

#endif  // SALUDO_NGINX_CONFIG_DIRECTIVES_H_
