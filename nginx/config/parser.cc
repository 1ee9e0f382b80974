#include "nginx/config/parser.h"

#include <glob.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/input_file.h"

namespace saludo::nginx {
namespace {

constexpr int kMaxIncludeDepth = 16;

struct Token {
  enum Kind { kWord, kSemicolon, kOpen, kClose, kEnd } kind;
  std::string text;
  SourceLocation where;
};

class Lexer {
 public:
  Lexer(absl::string_view text, std::string file)
      : text_(text), file_(std::move(file)) {}

  absl::StatusOr<Token> Next() {
    SkipSpaceAndComments();
    Token t;
    t.where = {file_, line_, column_};
    if (pos_ >= text_.size()) {
      t.kind = Token::kEnd;
      return t;
    }
    const char c = text_[pos_];
    if (c == ';' || c == '{' || c == '}') {
      Advance();
      t.kind = c == ';'   ? Token::kSemicolon
               : c == '{' ? Token::kOpen
                          : Token::kClose;
      t.text = std::string(1, c);
      return t;
    }
    t.kind = Token::kWord;
    if (c == '"' || c == '\'') {
      if (absl::Status st = ReadQuoted(&t); !st.ok()) return st;
      return t;
    }
    ReadBare(&t);
    return t;
  }

 private:
  // The character(s) `\<c>` stands for, as nginx reads them
  // (ngx_conf_read_token): \" \' \\ \t \r \n are escapes; any other
  // backslash stays (a regex's \d is \d).
  static void Unescape(char c, std::string* out) {
    switch (c) {
      case '"':
      case '\'':
      case '\\':
        out->push_back(c);
        return;
      case 't':
        out->push_back('\t');
        return;
      case 'r':
        out->push_back('\r');
        return;
      case 'n':
        out->push_back('\n');
        return;
      default:
        out->push_back('\\');
        out->push_back(c);
    }
  }

  // A quoted word (escapes as Unescape says); a separator must follow.
  absl::Status ReadQuoted(Token* token) {
    Token& t = *token;
    const char quote = text_[pos_];
    Advance();
    while (true) {
      if (pos_ >= text_.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            FormatLocation(t.where), ": unterminated ",
            quote == '"' ? "\"" : "'", " string: expected a closing ",
            std::string(1, quote)));
      }
      char d = text_[pos_];
      if (d == '\\' && pos_ + 1 < text_.size()) {
        Advance();
        Unescape(text_[pos_], &t.text);
        Advance();
        continue;
      }
      Advance();
      if (d == quote) break;
      t.text.push_back(d);
    }
    // nginx requires a separator after a quoted string.
    if (pos_ < text_.size() && !IsSeparator(text_[pos_])) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_, ":", line_, ":", column_, ": unexpected \"",
                       std::string(1, text_[pos_]),
                       "\" after a quoted string: expected a space, \";\", "
                       "\"{\" or \"}\""));
    }
    return absl::OkStatus();
  }

  // An unquoted word; `${var}` keeps its braces; escapes as Unescape says
  // (and an escaped separator is part of the word).
  void ReadBare(Token* token) {
    Token& t = *token;
    while (pos_ < text_.size()) {
      char d = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(d)) || d == ';' || d == '{' ||
          d == '}') {
        break;
      }
      // `${var}` may contain braces; keep them in the word.
      if (d == '$' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
        while (pos_ < text_.size() && text_[pos_] != '}') {
          t.text.push_back(text_[pos_]);
          Advance();
        }
        if (pos_ < text_.size()) {
          t.text.push_back('}');
          Advance();
        }
        continue;
      }
      if (d == '\\' && pos_ + 1 < text_.size()) {
        Advance();
        Unescape(text_[pos_], &t.text);
        Advance();
        continue;
      }
      t.text.push_back(d);
      Advance();
    }
  }

  static bool IsSeparator(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == ';' ||
           c == '{' || c == '}';
  }
  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }
  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        Advance();
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') Advance();
      } else {
        break;
      }
    }
  }

  absl::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

absl::StatusOr<std::vector<Directive>> ParseFileAt(const std::string& path,
                                                   const std::string& dir,
                                                   int depth);

class Parser {
 public:
  Parser(absl::string_view text, std::string file, std::string include_dir,
         int depth)
      : lexer_(text, file),
        include_dir_(std::move(include_dir)),
        depth_(depth) {}

  // Parses until `}` (if `in_block`) or the end of input.
  absl::StatusOr<std::vector<Directive>> ParseBlock(
      bool in_block, const SourceLocation& open) {
    std::vector<Directive> out;
    while (true) {
      absl::StatusOr<Token> t = lexer_.Next();
      if (!t.ok()) return t.status();
      if (t->kind == Token::kEnd) {
        if (in_block) {
          return absl::InvalidArgumentError(absl::StrCat(
              FormatLocation(t->where),
              ": unexpected end of file, expecting \"}\" to close the block "
              "opened at ",
              FormatLocation(open)));
        }
        return out;
      }
      if (t->kind == Token::kClose) {
        if (!in_block) {
          return absl::InvalidArgumentError(
              absl::StrCat(FormatLocation(t->where),
                           ": unexpected \"}\": no block is open"));
        }
        return out;
      }
      if (t->kind != Token::kWord) {
        return absl::InvalidArgumentError(
            absl::StrCat(FormatLocation(t->where), ": unexpected \"", t->text,
                         "\": expected a directive name"));
      }
      Directive d;
      d.name = t->text;
      d.where = t->where;
      while (true) {
        absl::StatusOr<Token> a = lexer_.Next();
        if (!a.ok()) return a.status();
        if (a->kind == Token::kWord) {
          d.args.push_back(a->text);
          d.arg_locations.push_back(a->where);
          continue;
        }
        if (a->kind == Token::kSemicolon) break;
        if (a->kind == Token::kOpen) {
          d.has_block = true;
          absl::StatusOr<std::vector<Directive>> block =
              ParseBlock(true, a->where);
          if (!block.ok()) return block.status();
          d.block = std::move(*block);
          break;
        }
        return absl::InvalidArgumentError(absl::StrCat(
            FormatLocation(a->where), ": unexpected ",
            a->kind == Token::kEnd ? "end of file" : "\"" + a->text + "\"",
            ": expected \";\" or \"{\" after directive \"", d.name, "\""));
      }
      if (d.name == "include" && !d.has_block) {
        absl::Status s = Include(d, &out);
        if (!s.ok()) return s;
        continue;
      }
      out.push_back(std::move(d));
    }
  }

 private:
  absl::Status Include(const Directive& d, std::vector<Directive>* out) {
    if (d.args.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(FormatLocation(d.where),
                       ": \"include\" takes exactly one file or pattern"));
    }
    if (depth_ >= kMaxIncludeDepth) {
      return absl::InvalidArgumentError(absl::StrCat(
          FormatLocation(d.where), ": includes nested deeper than ",
          kMaxIncludeDepth, " (a cycle?)"));
    }
    const std::string pattern = absl::StartsWith(d.args[0], "/")
                                    ? d.args[0]
                                    : include_dir_ + "/" + d.args[0];
    glob_t matches{};
    const int rc = glob(pattern.c_str(), 0, nullptr, &matches);
    const bool has_magic = pattern.find_first_of("*?[") != std::string::npos;
    if (rc == GLOB_NOMATCH && !has_magic) {
      globfree(&matches);
      return absl::InvalidArgumentError(absl::StrCat(FormatLocation(d.where),
                                                     ": include file \"",
                                                     pattern, "\" not found"));
    }
    std::vector<std::string> files;
    for (size_t i = 0; rc == 0 && i < matches.gl_pathc; ++i) {
      files.push_back(matches.gl_pathv[i]);  // glob sorts them
    }
    globfree(&matches);
    for (const std::string& file : files) {
      absl::StatusOr<std::vector<Directive>> sub =
          ParseFileAt(file, include_dir_, depth_ + 1);
      if (!sub.ok()) return sub.status();
      for (Directive& x : *sub) out->push_back(std::move(x));
    }
    return absl::OkStatus();
  }

  Lexer lexer_;
  std::string include_dir_;
  int depth_;
};

absl::StatusOr<std::vector<Directive>> ParseFileAt(const std::string& path,
                                                   const std::string& dir,
                                                   int depth) {
  absl::StatusOr<std::string> text =
      runtime::ReadInputFile(path, "nginx configuration");
  if (!text.ok()) return text.status();
  Parser parser(*text, path, dir, depth);
  return parser.ParseBlock(false, SourceLocation{path, 1, 1});
}

}  // namespace

std::string FormatLocation(const SourceLocation& where) {
  return absl::StrCat(where.file, ":", where.line, ":", where.column);
}

absl::Status LocatedError(const SourceLocation& where,
                          const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat(FormatLocation(where), ": ", what));
}

absl::StatusOr<std::vector<Directive>> ParseConfigText(
    absl::string_view text, const std::string& file_name,
    const std::string& include_dir) {
  Parser parser(text, file_name, include_dir, 0);
  return parser.ParseBlock(false, SourceLocation{file_name, 1, 1});
}

absl::StatusOr<std::vector<Directive>> ParseConfigFile(
    const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  return ParseFileAt(path, dir, 0);
}

}  // namespace saludo::nginx
