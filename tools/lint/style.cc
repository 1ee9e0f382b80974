#include "tools/lint/style.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace saludo::lint {
namespace {

// `source` with comments and the contents of string and character literals
// blanked out (newlines kept, so line numbers hold).
std::string Blank(const std::string& source) {
  std::string out = source;
  enum { kCode, kLine, kBlock, kString, kChar, kRaw } state = kCode;
  std::string raw_end;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const char next = i + 1 < out.size() ? out[i + 1] : '\0';
    switch (state) {
      case kCode:
        if (c == '/' && next == '/') {
          state = kLine;
        } else if (c == '/' && next == '*') {
          state = kBlock;
        } else if (c == 'R' && next == '"' &&
                   (i == 0 || !std::isalnum(static_cast<unsigned char>(out[i - 1])))) {
          const size_t paren = out.find('(', i + 2);
          if (paren == std::string::npos) break;
          raw_end = ")" + out.substr(i + 2, paren - i - 2) + "\"";
          state = kRaw;
          i = paren;
          continue;
        } else if (c == '"') {
          state = kString;
          continue;
        } else if (c == '\'') {
          state = kChar;
          continue;
        }
        if (state == kCode) continue;
        out[i] = ' ';
        break;
      case kLine:
        if (c == '\n') state = kCode;
        else out[i] = ' ';
        break;
      case kBlock:
        if (c == '*' && next == '/') {
          out[i] = out[i + 1] = ' ';
          ++i;
          state = kCode;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      case kString:
      case kChar:
        if (c == '\\') {
          out[i] = ' ';
          if (i + 1 < out.size() && out[i + 1] != '\n') out[++i] = ' ';
        } else if ((state == kString && c == '"') ||
                   (state == kChar && c == '\'')) {
          state = kCode;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      case kRaw:
        if (out.compare(i, raw_end.size(), raw_end) == 0) {
          i += raw_end.size() - 1;
          state = kCode;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
    }
  }
  return out;
}

// True if the text before a '{' (from the previous ';', '{' or '}') opens a
// function body rather than a class, namespace, initialiser or lambda.
bool OpensFunction(const std::string& head) {
  std::string h(absl::StripAsciiWhitespace(head));
  if (h.empty() || h.back() == '=' || h.back() == ',' || h.back() == '(' ||
      h.back() == '[' || h.back() == '{') {
    return false;
  }
  for (const char* word : {"namespace", "class ", "struct ", "enum ", "union ",
                           "extern \"", "typedef "}) {
    if (absl::StartsWith(h, word) || absl::StrContains(h, std::string(" ") + word)) {
      if (!absl::StrContains(h, "(")) return false;
    }
  }
  if (absl::StartsWith(h, "namespace")) return false;
  // A function has a parameter list before the body.
  const size_t close = h.rfind(')');
  if (close == std::string::npos) return false;
  const std::string tail = h.substr(close + 1);
  // `) const`, `) override`, `) noexcept`, `) -> T`, `) : init(...)`.
  for (char c : tail) {
    if (c == '=' || c == ';') return false;
  }
  return true;
}

}  // namespace

std::vector<Finding> LongFunctions(const std::string& source, int max_lines) {
  const std::string code = Blank(source);
  std::vector<Finding> found;
  struct Open {
    int line;
    bool function;
    std::string name;
  };
  std::vector<Open> stack;
  int line = 1;
  size_t head_start = 0;
  int inside_function = 0;  // open function bodies (nested lambdas ignored)
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '\n') ++line;
    if (c == ';') head_start = i + 1;
    if (c == '{') {
      const std::string head = code.substr(head_start, i - head_start);
      const bool function = inside_function == 0 && OpensFunction(head);
      std::string name(absl::StripAsciiWhitespace(
          head.substr(0, head.find('('))));
      if (const size_t space = name.find_last_of(" \n*&"); space != std::string::npos) {
        name = name.substr(space + 1);
      }
      stack.push_back({line, function, name});
      if (function) ++inside_function;
      head_start = i + 1;
    } else if (c == '}') {
      head_start = i + 1;
      if (stack.empty()) continue;
      const Open open = stack.back();
      stack.pop_back();
      if (!open.function) continue;
      --inside_function;
      const int length = line - open.line + 1;
      if (length > max_lines) {
        found.push_back({open.line, absl::StrCat(open.name, " is ", length,
                                                 " lines (at most ",
                                                 max_lines, ")")});
      }
    }
  }
  return found;
}

namespace {

// Buildifier's order for a list of labels: local (":x") before absolute
// ("//x") before external ("@x"); then the parts between ':' and '.' one by
// one; then fewer parts first; then the text.
bool Before(const std::string& a, const std::string& b) {
  auto phase = [](const std::string& label) {
    if (absl::StartsWith(label, ":")) return 1;
    if (absl::StartsWith(label, "//")) return 2;
    if (absl::StartsWith(label, "@")) return 3;
    return 0;
  };
  if (phase(a) != phase(b)) return phase(a) < phase(b);
  std::vector<std::string> pa = absl::StrSplit(a, absl::ByAnyChar(":."));
  std::vector<std::string> pb = absl::StrSplit(b, absl::ByAnyChar(":."));
  for (size_t k = 0; k < pa.size() && k < pb.size(); ++k) {
    if (pa[k] != pb[k]) return pa[k] < pb[k];
  }
  if (pa.size() != pb.size()) return pa.size() < pb.size();
  return a < b;
}

}  // namespace

std::vector<Finding> UnsortedDeps(const std::string& build_file) {
  std::vector<Finding> found;
  std::vector<std::string> lines = absl::StrSplit(build_file, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string start(absl::StripAsciiWhitespace(lines[i]));
    if (start != "deps = [") continue;
    std::vector<std::pair<std::string, int>> labels;
    size_t k = i + 1;
    for (; k < lines.size(); ++k) {
      std::string item(absl::StripAsciiWhitespace(lines[k]));
      if (absl::StartsWith(item, "]")) break;
      if (absl::StartsWith(item, "#") || item.empty()) continue;
      item = std::string(absl::StripSuffix(item, ","));
      item = std::string(absl::StripSuffix(absl::StripPrefix(item, "\""), "\""));
      labels.push_back({item, static_cast<int>(k + 1)});
    }
    for (size_t j = 1; j < labels.size(); ++j) {
      const auto& a = labels[j - 1].first;
      const auto& b = labels[j].first;
      if (Before(b, a)) {
        found.push_back({labels[j].second,
                         absl::StrCat("\"", b, "\" should come before \"", a,
                                      "\" (buildifier's order)")});
        break;
      }
    }
    i = k;
  }
  return found;
}

}  // namespace saludo::lint
