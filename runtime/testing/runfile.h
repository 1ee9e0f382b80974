// The path of a file of this workspace in a test's runfiles.
#ifndef SALUDO_RUNTIME_TESTING_RUNFILE_H_
#define SALUDO_RUNTIME_TESTING_RUNFILE_H_

#include <memory>
#include <string>

#include "runtime/check.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace saludo::runtime::testing {

// `path` relative to the workspace root, e.g. "nginx/nginx.conf".
// REQUIRES: running under `bazel test` (TEST_SRCDIR is set).
inline std::string Runfile(const std::string& path) {
  std::string error;
  std::unique_ptr<bazel::tools::cpp::runfiles::Runfiles> runfiles(
      bazel::tools::cpp::runfiles::Runfiles::CreateForTest(&error));
  SALUDO_CHECK(runfiles != nullptr && "not running under bazel test");
  return runfiles->Rlocation("saludo_sim/" + path);
}

// The directory holding runfile `path`, e.g. to place a test's own file
// next to shipped ones so that its relative paths resolve.
// REQUIRES: as for Runfile.
inline std::string RunfileDir(const std::string& path) {
  const std::string file = Runfile(path);
  return file.substr(0, file.rfind('/'));
}

}  // namespace saludo::runtime::testing

#endif  // SALUDO_RUNTIME_TESTING_RUNFILE_H_
