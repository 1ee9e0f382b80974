// A parser for the nginx configuration language: blocks, directives, quoting,
// comments and `include` (with globs, relative to the main file's directory).
// Enough for our files and typical user files; errors name file:line:column
// and what was expected.
#ifndef SALUDO_NGINX_CONFIG_PARSER_H_
#define SALUDO_NGINX_CONFIG_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace saludo::nginx {

struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// "file:line:column"
std::string FormatLocation(const SourceLocation& where);

// INVALID_ARGUMENT "file:line:column: what".
absl::Status LocatedError(const SourceLocation& where, const std::string& what);

struct Directive {
  std::string name;
  std::vector<std::string> args;
  std::vector<SourceLocation> arg_locations;
  SourceLocation where;
  bool has_block = false;
  std::vector<Directive> block;
};

// Parses `text` (named `file_name` in errors). `include` paths are resolved
// against `include_dir`.
absl::StatusOr<std::vector<Directive>> ParseConfigText(
    absl::string_view text, const std::string& file_name,
    const std::string& include_dir);

// Reads and parses a file; includes are relative to its directory.
absl::StatusOr<std::vector<Directive>> ParseConfigFile(const std::string& path);

}  // namespace saludo::nginx

#endif  // SALUDO_NGINX_CONFIG_PARSER_H_
