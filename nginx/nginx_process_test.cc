#include "nginx/nginx_process.h"

#include "gtest/gtest.h"

namespace saludo::nginx {
namespace {

TEST(RemapPortsTest, RewritesOnlyMappedWholePorts) {
  EXPECT_EQ(RemapPorts("server 127.0.0.1:3001 max_fails=2;\n"
                       "server 127.0.0.1:30012;\nlisten 127.0.0.1:3005 http2;",
                       {{3001, 41001}, {3005, 41005}}),
            "server 127.0.0.1:41001 max_fails=2;\n"
            "server 127.0.0.1:30012;\nlisten 127.0.0.1:41005 http2;");
  EXPECT_EQ(RemapPorts("no ports here: 3001", {{3001, 1}}),
            "no ports here: 3001");
}

TEST(ListenPortsTest, FindsPortsOfListenDirectives) {
  EXPECT_EQ(ListenPorts("  listen 127.0.0.1:3005 http2;\n"
                        "listen 8080;\n# listen 9;\nlistener 7;\n"),
            (std::vector<int>{3005, 8080}));
}

TEST(ParsePortMapTest, ParsesAndRejects) {
  auto ok = ParsePortMap("3001=41001,3005=41005");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->at(3001), 41001);
  EXPECT_TRUE(ParsePortMap("")->empty());
  auto bad = ParsePortMap("3001:41001");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("3001:41001"), std::string::npos);
  EXPECT_FALSE(ParsePortMap("3001=99999").ok());
}

}  // namespace
}  // namespace saludo::nginx
