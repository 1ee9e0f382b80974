#include "runtime/live/cli.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace saludo::runtime::live {
namespace {

std::string& Program() {
  static std::string* name = new std::string("program");
  return *name;
}

bool IsBuiltinFlag(absl::string_view name) {
  return name == "help" || name == "helpfull" || name == "helpshort" ||
         name == "helppackage" || name == "version" ||
         name == "only_check_args" || name == "flagfile" || name == "fromenv" ||
         name == "tryfromenv" || name == "undefok";
}

}  // namespace

void UsageError(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n%s\n", Program().c_str(), message.c_str(),
               std::string(absl::ProgramUsageMessage()).c_str());
  std::exit(2);
}

std::vector<std::string> ParseFlagsOrExit(int argc, char** argv,
                                          const char* usage,
                                          int max_positional) {
  absl::SetProgramUsageMessage(usage);
  absl::string_view argv0 = argc > 0 ? argv[0] : "program";
  Program() = std::string(argv0.substr(argv0.rfind('/') + 1));
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::StartsWith(arg, "-") || arg == "-") continue;
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    absl::string_view name = arg.substr(0, arg.find('='));
    if (IsBuiltinFlag(name)) continue;
    if (absl::FindCommandLineFlag(name) != nullptr) continue;
    if (absl::StartsWith(name, "no") &&
        absl::FindCommandLineFlag(name.substr(2)) != nullptr) {
      continue;
    }
    UsageError(absl::StrCat("unknown flag --", name));
  }
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> positional(rest.begin() + 1, rest.end());
  if (static_cast<int>(positional.size()) > max_positional) {
    UsageError(absl::StrCat("unexpected argument '", positional.back(), "'"));
  }
  return positional;
}

namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal(absl::Duration tick,
                      const std::function<bool()>& keep_waiting) {
  sigset_t set = StopSignals();
  while (true) {
    if (tick == absl::InfiniteDuration()) {
      int signal_number = 0;
      if (sigwait(&set, &signal_number) == 0) return signal_number;
      continue;
    }
    timespec timeout = absl::ToTimespec(tick);
    siginfo_t info;
    int signal_number = sigtimedwait(&set, &info, &timeout);
    if (signal_number > 0) return signal_number;
    if (keep_waiting && !keep_waiting()) return 0;
  }
}

}  // namespace saludo::runtime::live
