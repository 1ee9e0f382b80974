// The twin's verdict on a configuration is nginx's: over a corpus of valid
// and invalid files (tests/testdata/nginx_validity, each starting with the
// verdict of Debian's nginx 1.22 and why), `nginx -t` must give the pinned
// verdict, and the twin, reading the file on its own, must accept exactly
// the files nginx accepts and refuse the others at the line nginx names.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nginx/config/twin_config.h"
#include "nginx/nginx_process.h"
#include "runtime/testing/runfile.h"

namespace saludo {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string path;
  bool valid = false;
  std::string fragment;  // in nginx's message, for invalid files
};

std::vector<Case> Corpus() {
  const std::string dir =
      runtime::testing::Runfile("tests/testdata/nginx_validity");
  std::vector<Case> cases;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".conf") continue;
    Case c;
    c.path = entry.path().string();
    std::string first;
    std::getline(std::ifstream(c.path) >> std::ws, first);
    constexpr char kOk[] = "# nginx -t: ok";
    constexpr char kFails[] = "# nginx -t: fails: ";
    c.valid = first == kOk;
    if (!c.valid) {
      EXPECT_TRUE(absl::StartsWith(first, kFails)) << c.path << ": " << first;
      c.fragment = first.substr(sizeof(kFails) - 1);
    }
    cases.push_back(c);
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.path < b.path; });
  return cases;
}

// The line nginx names in "... in FILE:LINE", or 0.
int NginxLine(const std::string& message, const std::string& path) {
  const std::string at = path + ":";
  const size_t pos = message.find(at);
  if (pos == std::string::npos) return 0;
  size_t end = pos + at.size();
  while (end < message.size() && isdigit(message[end])) ++end;
  int line = 0;
  return absl::SimpleAtoi(message.substr(pos + at.size(), end - pos - at.size()),
                          &line)
             ? line
             : 0;
}

TEST(NginxValidityTest, TheTwinGivesNginxsVerdictOnEveryFile) {
  const std::vector<Case> cases = Corpus();
  int valid = 0;
  for (const Case& c : cases) valid += c.valid;
  ASSERT_GE(cases.size(), 60u);
  ASSERT_GE(valid, 20);
  ASSERT_GE(cases.size() - valid, 20u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    nginx::NginxOptions options;
    options.config_path = c.path;
    const absl::Status nginx = nginx::ValidateConfig(options);
    const auto twin = nginx::LoadTwinConfig(c.path);
    EXPECT_EQ(nginx.ok(), c.valid) << nginx;
    EXPECT_EQ(twin.ok(), nginx.ok()) << "nginx: " << nginx
                                     << "\ntwin: " << twin.status();
    if (nginx.ok() || twin.ok()) continue;
    const std::string said(nginx.message());
    EXPECT_TRUE(absl::StrContains(said, c.fragment)) << said;
    if (const int line = NginxLine(said, c.path); line > 0) {
      EXPECT_TRUE(absl::StrContains(twin.status().message(),
                                    absl::StrCat(c.path, ":", line, ":")))
          << "nginx: " << said << "\ntwin: " << twin.status();
    }
  }
}

// As root, `nginx -t` checks as the user nginx will run as (nobody), not as
// root: a certificate in a directory only root may enter cannot be opened
// (as root it is opened, and refused for what it holds). Where nobody does
// not exist or cannot own files (a user namespace that does not map it), the
// check runs as root, and this test has nothing to show.
TEST(NginxValidityTest, AsRootTheCheckRunsAsTheUserNginxRunsAs) {
  if (geteuid() != 0) GTEST_SKIP() << "not root";
  const passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody";
  char dir_template[] = "/tmp/saludo-check-user-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const fs::path dir = dir_template;
  if (chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "nobody cannot own files here";
  }
  ASSERT_EQ(chown(dir.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  fs::create_directory(dir / "root_only");
  ASSERT_EQ(chmod((dir / "root_only").c_str(), 0700), 0);
  const fs::path pem = dir / "root_only" / "not_a_certificate.pem";
  std::ofstream(pem) << "not a certificate\n";
  const fs::path config = dir / "nginx.conf";
  std::ofstream(config) << "events {}\nhttp {\n  server {\n"
                        << "    listen 127.0.0.1:3099 ssl;\n"
                        << "    ssl_certificate " << pem.string() << ";\n"
                        << "    ssl_certificate_key " << pem.string() << ";\n"
                        << "  }\n}\n";
  nginx::NginxOptions options;
  options.config_path = config.string();
  const absl::Status checked = nginx::ValidateConfig(options);
  fs::remove_all(dir);
  EXPECT_EQ(checked.code(), absl::StatusCode::kInvalidArgument) << checked;
  EXPECT_TRUE(absl::StrContains(checked.message(), "Permission denied"))
      << checked;
}

}  // namespace
}  // namespace saludo
