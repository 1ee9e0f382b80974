#include "nginx/config/location_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "absl/strings/str_cat.h"

namespace saludo::nginx {

absl::StatusOr<std::shared_ptr<const LocationRegex>> LocationRegex::Compile(
    const std::string& pattern, bool caseless) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
      caseless ? PCRE2_CASELESS : 0, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return absl::InvalidArgumentError(
        absl::StrCat("pcre2_compile() failed: ",
                     reinterpret_cast<const char*>(message), " in \"",
                     pattern, "\" at \"", pattern.substr(offset), "\""));
  }
  return std::shared_ptr<const LocationRegex>(new LocationRegex(code));
}

LocationRegex::~LocationRegex() {
  pcre2_code_free(static_cast<pcre2_code*>(code_));
}

bool LocationRegex::Matches(absl::string_view uri) const {
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(code, nullptr);
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(uri.data()),
                             uri.size(), 0, 0, data, nullptr);
  pcre2_match_data_free(data);
  return rc >= 0;
}

}  // namespace saludo::nginx
