#include "nginx/config/directives.h"

#include "gtest/gtest.h"

namespace saludo::nginx {
namespace {

std::string Verdict(const std::string& text) {
  auto top = ParseConfigText(text, "d.conf", ".");
  if (!top.ok()) return std::string(top.status().message());
  absl::Status s = CheckDirectives(*top);
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(ParseNginxTimeTest, FollowsNginxsUnitsAndOrder) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseNginxTime("1h 30m", false, &ms));
  EXPECT_EQ(ms, 5400000);
  ASSERT_TRUE(ParseNginxTime("1m30", false, &ms));  // a bare number: seconds
  EXPECT_EQ(ms, 90000);
  ASSERT_TRUE(ParseNginxTime("500ms", false, &ms));
  EXPECT_EQ(ms, 500);
  ASSERT_TRUE(ParseNginxTime("1y", true, &ms));  // years: whole seconds only
  EXPECT_EQ(ms, int64_t{365} * 86400 * 1000);
  EXPECT_FALSE(ParseNginxTime("1y", false, &ms));
  EXPECT_FALSE(ParseNginxTime("1500ms", true, &ms));
  EXPECT_FALSE(ParseNginxTime("30s1m", false, &ms));  // smaller unit first
  EXPECT_FALSE(ParseNginxTime("1s1s", false, &ms));
  EXPECT_FALSE(ParseNginxTime("s", false, &ms));
  EXPECT_FALSE(ParseNginxTime("", false, &ms));
  EXPECT_FALSE(ParseNginxTime("1x", false, &ms));
  EXPECT_FALSE(ParseNginxTime("99999999999999999999", false, &ms));
}

TEST(CheckDirectivesTest, SpeaksNginxsRulesWithFileAndLine) {
  const std::string ok = "events {}\nhttp { server { location / { } } }\n";
  EXPECT_EQ(Verdict(ok), "ok");
  EXPECT_EQ(Verdict("http { }"),
            "no \"events\" section in configuration (nginx requires one, "
            "even empty: events {})");
  EXPECT_EQ(Verdict("events {}\nhttp { grpc_pass u; }"),
            "d.conf:2:8: \"grpc_pass\" directive is not allowed here");
  EXPECT_EQ(Verdict("events {}\nhttp { frobnicate on; }"),
            "d.conf:2:8: unknown directive \"frobnicate\"");
  EXPECT_EQ(Verdict("events {}\nhttp { grpc_read_timeout 1s 2s; }"),
            "d.conf:2:8: invalid number of arguments in \"grpc_read_timeout\" "
            "directive");
  EXPECT_EQ(Verdict("events {}\nhttp { grpc_read_timeout 1s;\n"
                    "grpc_read_timeout 2s; }"),
            "d.conf:3:1: \"grpc_read_timeout\" directive is duplicate");
  EXPECT_EQ(Verdict("events {}\nhttp { sendfile maybe; }"),
            "d.conf:2:17: invalid value \"maybe\" in \"sendfile\" "
            "directive, it must be \"on\" or \"off\"");
  EXPECT_EQ(Verdict("events {}\nhttp { upstream u { server a:1; } }\n"
                    "http { }"),
            "d.conf:3:1: \"http\" directive is duplicate");
  EXPECT_EQ(Verdict("events {}\n"
                    "http { server { location / { upstream v { } } } }"),
            "d.conf:2:30: \"upstream\" directive is not allowed here");
  EXPECT_EQ(Verdict("events {}\nhttp { server; }"),
            "d.conf:2:8: directive \"server\" has no opening \"{\"");
  EXPECT_EQ(Verdict("events {}\nhttp { keepalive_timeout 5s { } }"),
            "d.conf:2:8: directive \"keepalive_timeout\" is not terminated by "
            "\";\"");
  // The same time at two levels is no duplicate; map's contents are data.
  EXPECT_EQ(Verdict("events {}\nhttp { grpc_read_timeout 1s; map $a $b { "
                    "x y; } server { grpc_read_timeout 2s; } }"),
            "ok");
}

}  // namespace
}  // namespace saludo::nginx
