// The style rules on fixtures (so the rules can fail), then on the tree:
// every non-test C++ function of ours is at most 70 lines, and every BUILD
// file lists its deps in buildifier's order.
#include "tools/lint/style.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace saludo::lint {
namespace {

constexpr int kMaxLines = 70;

std::string Function(const std::string& name, int body_lines) {
  std::string s = "int " + name + "(int x) {\n";
  for (int i = 0; i < body_lines; ++i) s += "  x += 1;  // {\n";
  return s + "  return x;\n}\n";
}

TEST(StyleTest, FlagsAFunctionPastTheLimitAndOnlyIt) {
  const std::string source =
      "namespace a {\nstruct S {\n  int f() const { return 1; }\n};\n" +
      Function("Short", 60) + Function("Long", 80) +
      "const char* s = \"}{\";\nclass C {\n" + Function("Member", 75) + "};\n}\n";
  std::vector<Finding> found = LongFunctions(source, kMaxLines);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(found[0].what, "Long is 83 lines"))
      << found[0].what;
  EXPECT_TRUE(absl::StartsWith(found[1].what, "Member is 78 lines"))
      << found[1].what;
}

TEST(StyleTest, IgnoresLambdasAndBlocksInsideAFunction) {
  std::string source = "void F() {\n  auto g = [] {\n";
  for (int i = 0; i < 20; ++i) source += "    if (x) {\n    }\n";
  source += "  };\n}\n";
  EXPECT_TRUE(LongFunctions(source, kMaxLines).empty());
}

TEST(StyleTest, FlagsDepsOutOfBuildifiersOrder) {
  const std::string good =
      "cc_library(\n    deps = [\n        \":a\",\n        \"//b\",\n"
      "        \"//b:c\",\n        \"//b/d\",\n        \"@e//f\",\n    ],\n)\n";
  EXPECT_TRUE(UnsortedDeps(good).empty());
  const std::string bad =
      "cc_library(\n    deps = [\n        \"//b:d\",\n        \":a\",\n    ],\n)\n";
  std::vector<Finding> found = UnsortedDeps(bad);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].line, 4);
}

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Our files in the runfiles (the source_files() filegroups).
std::vector<std::filesystem::path> Files() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const std::filesystem::path root =
      std::filesystem::path(srcdir == nullptr ? "." : srcdir) / "saludo_sim";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::follow_directory_symlink)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(StyleTest, TheTree) {
  int sources = 0, builds = 0;
  std::string problems;
  for (const auto& path : Files()) {
    const std::string name = path.filename().string();
    const std::string where = path.string();
    if (name == "BUILD") {
      ++builds;
      for (const Finding& f : UnsortedDeps(Read(path))) {
        absl::StrAppend(&problems, where, ":", f.line, ": ", f.what, "\n");
      }
      continue;
    }
    const bool cc = absl::EndsWith(name, ".cc") || absl::EndsWith(name, ".h");
    const bool test_code = absl::EndsWith(name, "_test.cc") ||
                           absl::StrContains(where, "saludo_sim/tests/") ||
                           absl::StrContains(where, "/testing/");
    if (!cc || test_code) continue;
    ++sources;
    for (const Finding& f : LongFunctions(Read(path), kMaxLines)) {
      absl::StrAppend(&problems, where, ":", f.line, ": ", f.what, "\n");
    }
  }
  EXPECT_GT(sources, 100);
  EXPECT_GT(builds, 15);
  EXPECT_EQ(problems, "");
}

}  // namespace
}  // namespace saludo::lint
