// Replays every file of the fuzz corpus (seeds and crash reproducers) through
// its target: a regression test that runs in the ordinary suite.
#include <dirent.h>

#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/targets.h"
#include "gtest/gtest.h"
#include "runtime/testing/runfile.h"

namespace saludo::fuzz {
namespace {

std::vector<std::string> Files(const std::string& corpus) {
  const std::string dir =
      runtime::testing::Runfile("fuzz/corpus/" + corpus);
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') files.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
  }
  return files;
}

void Replay(const std::string& corpus,
            const std::function<void(const uint8_t*, size_t)>& target) {
  std::vector<std::string> files = Files(corpus);
  ASSERT_GE(files.size(), 3u) << corpus;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    SCOPED_TRACE(f);
    target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}

TEST(FuzzCorpusTest, NginxConfig) { Replay("nginx_config", NginxConfig); }
TEST(FuzzCorpusTest, Scenario) { Replay("scenario", Scenario); }
TEST(FuzzCorpusTest, SaludoRequest) { Replay("saludo_request", SaludoRequest); }
TEST(FuzzCorpusTest, ControlRequest) {
  Replay("control_request", ControlRequest);
}

}  // namespace
}  // namespace saludo::fuzz
