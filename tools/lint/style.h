// Style rules a test enforces on the tree (//tools/lint:style_test):
// functions of at most 70 lines (TigerBeetle's rule: a reader holds one in
// their head), and BUILD dependency lists sorted the way buildifier sorts
// them. Simple scanners, not parsers: they see the code the way a reader
// does, and say file:line for what they flag.
#ifndef SALUDO_TOOLS_LINT_STYLE_H_
#define SALUDO_TOOLS_LINT_STYLE_H_

#include <string>
#include <vector>

namespace saludo::lint {

struct Finding {
  int line = 0;  // 1-based
  std::string what;
};

// Function bodies in C++ `source` longer than `max_lines` (counted from the
// line that opens the body to the line that closes it). Comments, string
// and character literals are ignored; bodies of classes, structs, enums,
// namespaces and initialiser lists are not functions.
std::vector<Finding> LongFunctions(const std::string& source, int max_lines);

// `deps = [...]` lists in a BUILD file that are not in buildifier's order:
// ":local" labels first, then "//" labels, then "@external" ones; within a
// group, part by part (parts are separated by ':' and '.'), fewer parts
// first.
std::vector<Finding> UnsortedDeps(const std::string& build_file);

}  // namespace saludo::lint

#endif  // SALUDO_TOOLS_LINT_STYLE_H_
