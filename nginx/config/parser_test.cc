#include "nginx/config/parser.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace saludo::nginx {
namespace {

TEST(ParserTest, BlocksDirectivesQuotesComments) {
  auto top = ParseConfigText(
      "worker_processes 1;  # one\n"
      "http {\n"
      "  log_format x '$status upstream=$upstream_addr' \"a\\\"b\";\n"
      "  server { listen 127.0.0.1:3005 http2; location / { grpc_pass "
      "grpc://u; } }\n"
      "}\n",
      "t.conf", ".");
  ASSERT_TRUE(top.ok()) << top.status();
  ASSERT_EQ(top->size(), 2u);
  EXPECT_EQ((*top)[0].name, "worker_processes");
  EXPECT_EQ((*top)[0].args, std::vector<std::string>{"1"});
  const Directive& http = (*top)[1];
  EXPECT_TRUE(http.has_block);
  EXPECT_EQ(http.block[0].args[0], "x");
  EXPECT_EQ(http.block[0].args[1], "$status upstream=$upstream_addr");
  EXPECT_EQ(http.block[0].args[2], "a\"b");
  EXPECT_EQ(http.block[0].where.line, 3);
  EXPECT_EQ(http.block[0].where.column, 3);
  const Directive& server = http.block[1];
  EXPECT_EQ(server.block[1].name, "location");
  EXPECT_EQ(server.block[1].block[0].args[0], "grpc://u");
}

TEST(ParserTest, ErrorsNameFileLineColumnAndExpectation) {
  auto missing_semicolon = ParseConfigText("http {\n  a b\n}\n", "f.conf", ".");
  EXPECT_EQ(missing_semicolon.status().message(),
            "f.conf:3:1: unexpected \"}\": expected \";\" or \"{\" after "
            "directive \"a\"");
  auto unclosed = ParseConfigText("http {\n  a;\n", "f.conf", ".");
  EXPECT_EQ(unclosed.status().message(),
            "f.conf:3:1: unexpected end of file, expecting \"}\" to close the "
            "block opened at f.conf:1:6");
  auto stray = ParseConfigText("a;\n}\n", "f.conf", ".");
  EXPECT_EQ(stray.status().message(),
            "f.conf:2:1: unexpected \"}\": no block is open");
  auto quote = ParseConfigText("a \"abc;\n", "f.conf", ".");
  EXPECT_NE(quote.status().message().find("f.conf:1:3: unterminated"),
            std::string::npos)
      << quote.status();
  auto after_quote = ParseConfigText("a \"x\"y;\n", "f.conf", ".");
  EXPECT_NE(after_quote.status().message().find("f.conf:1:6"),
            std::string::npos)
      << after_quote.status();
}

TEST(ParserTest, IncludeWithGlobRelativeToTheMainFile) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/main.conf") << "http { include conf.d/*.conf; }\n";
  std::filesystem::create_directories(dir + "/conf.d");
  std::ofstream(dir + "/conf.d/b.conf") << "b 2;\n";
  std::ofstream(dir + "/conf.d/a.conf") << "a 1;\n";
  auto top = ParseConfigFile(dir + "/main.conf");
  ASSERT_TRUE(top.ok()) << top.status();
  const Directive& http = (*top)[0];
  ASSERT_EQ(http.block.size(), 2u);
  EXPECT_EQ(http.block[0].name, "a");  // sorted
  EXPECT_EQ(http.block[1].name, "b");
  EXPECT_EQ(http.block[1].where.file, dir + "/conf.d/b.conf");

  std::ofstream(dir + "/bad.conf") << "include nothere.conf;\n";
  auto bad = ParseConfigFile(dir + "/bad.conf");
  EXPECT_NE(bad.status().message().find("bad.conf:1:1: include file"),
            std::string::npos)
      << bad.status();
  std::ofstream(dir + "/loop.conf") << "include loop.conf;\n";
  EXPECT_NE(
      ParseConfigFile(dir + "/loop.conf").status().message().find("cycle"),
      std::string::npos);
}

}  // namespace
}  // namespace saludo::nginx
