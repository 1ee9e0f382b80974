// A `location ~ REGEX` (or `~*`) as nginx matches it: PCRE2, the engine
// nginx 1.22 is built with on Debian, so the dialect is the same.
#ifndef SALUDO_NGINX_CONFIG_LOCATION_REGEX_H_
#define SALUDO_NGINX_CONFIG_LOCATION_REGEX_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace saludo::nginx {

class LocationRegex {
 public:
  // INVALID_ARGUMENT with PCRE2's message and offset if `pattern` does not
  // compile (nginx refuses such a file too).
  static absl::StatusOr<std::shared_ptr<const LocationRegex>> Compile(
      const std::string& pattern, bool caseless);
  ~LocationRegex();
  LocationRegex(const LocationRegex&) = delete;
  LocationRegex& operator=(const LocationRegex&) = delete;

  // True if the pattern matches somewhere in `uri` (unanchored, as nginx).
  bool Matches(absl::string_view uri) const;

 private:
  explicit LocationRegex(void* code) : code_(code) {}
  void* const code_;  // pcre2_code*
};

}  // namespace saludo::nginx

#endif  // SALUDO_NGINX_CONFIG_LOCATION_REGEX_H_
