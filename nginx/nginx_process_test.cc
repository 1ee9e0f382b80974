#include "nginx/nginx_process.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

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

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
  return path;
}

// A `listen` that is not the first token of its line, a relative include,
// ports remapped in both files, and a regex that keeps its backslashes.
TEST(RenderConfigTest, ParsesIncludesRemapsAndRemembersWhereLinesCameFrom) {
  Write("render/conf.d/up.conf",
        "upstream u { server 127.0.0.1:3001; }\n");
  const std::string main = Write(
      "render/main.conf",
      "events {}\nhttp { include conf.d/*.conf;\n"
      "  server { listen 127.0.0.1:3005 http2; location ~ ^/a\\d {\n"
      "    grpc_pass grpc://u; return 200 \"two words\"; } } }\n");
  Rewrites rewrites;
  rewrites.ports = {{3001, 41001}, {3005, 41005}};
  auto r = RenderConfig(main, rewrites);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->listen_ports, (std::vector<int>{41005}));
  EXPECT_NE(r->text.find("server 127.0.0.1:41001;"), std::string::npos)
      << r->text;
  EXPECT_NE(r->text.find("location ~ \"^/a\\\\d\" {"), std::string::npos)
      << r->text;
  EXPECT_NE(r->text.find("return 200 \"two words\";"), std::string::npos);
  // Every line knows its origin: the upstream line is in the included file.
  const size_t line =
      std::count(r->text.begin(),
                 r->text.begin() + r->text.find("upstream u"), '\n');
  EXPECT_NE(r->origin[line].file.find("conf.d/up.conf"), std::string::npos);
  EXPECT_EQ(r->origin[line].line, 1);
}

// In a private network namespace: a backend moves to its own address (its
// port not remapped again, even when it is a remapped port's number), and
// nginx listens on every address at the listen's port.
TEST(RenderConfigTest, RewritesEndpointsAndListensOnEveryAddress) {
  const std::string main =
      Write("render/endpoints.conf",
            "events {}\nhttp { upstream u { server 127.0.0.1:3001; }\n"
            "  server { listen 127.0.0.1:3005 http2;\n"
            "    location /a { grpc_pass grpc://127.0.0.1:3002; }\n"
            "    location / { grpc_pass grpc://u; } } }\n");
  Rewrites rewrites;
  rewrites.ports = {{3005, 41005}, {41001, 9}};
  rewrites.endpoints = {{"127.0.0.1:3001", "127.0.1.1:41001"},
                        {"127.0.0.1:3002", "127.0.1.2:41002"}};
  rewrites.listen_any = true;
  auto r = RenderConfig(main, rewrites);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->listen_ports, (std::vector<int>{41005}));
  EXPECT_NE(r->text.find("server 127.0.1.1:41001;"), std::string::npos)
      << r->text;
  EXPECT_NE(r->text.find("grpc_pass grpc://127.0.1.2:41002;"),
            std::string::npos)
      << r->text;
  EXPECT_NE(r->text.find("listen 41005 http2;"), std::string::npos) << r->text;
}

TEST(RenderConfigTest, ErrorsNameTheUsersFile) {
  const std::string bad = Write("render/bad.conf", "http { server { ");
  auto r = RenderConfig(bad, Rewrites());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("render/bad.conf:1:"), std::string::npos)
      << r.status();
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
