#include "runtime/live/cli.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace saludo::runtime::live {
namespace {

std::string& Program() {
  static std::string* name = new std::string("program");
  return *name;
}

bool IsHelpFlag(absl::string_view name) {
  return name == "help" || name == "helpfull" || name == "helpshort";
}

// The program's own flags (not Abseil's), by name, with default and help.
std::string FlagsHelp() {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& entry : absl::GetAllFlags()) {
    if (absl::StrContains(entry.second->Filename(), "absl/")) continue;
    flags.push_back(entry.second);
  }
  std::sort(flags.begin(), flags.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
  std::string out;
  for (const absl::CommandLineFlag* f : flags) {
    absl::StrAppend(&out, "  --", f->Name(), " (default: ",
                    f->DefaultValue().empty() ? "\"\"" : f->DefaultValue(),
                    ")\n      ", f->Help(), "\n");
  }
  return out;
}

// `usage` with the program's name as written in it ("usage: NAME ...", and
// lines that start with spaces and NAME) replaced by the name it was run as.
std::string UsageFor(const std::string& usage, const std::string& program) {
  const size_t at = usage.find("usage: ");
  if (at == std::string::npos) return usage;
  const size_t from = at + 7;
  const std::string written = usage.substr(from, usage.find(' ', from) - from);
  if (written.empty() || written == program) return usage;
  std::string out = absl::StrReplaceAll(
      usage, {{"usage: " + written + " ", "usage: " + program + " "},
              {"\n       " + written + " ", "\n       " + program + " "}});
  if (absl::EndsWith(out, "usage: " + written)) {
    out = out.substr(0, out.size() - written.size()) + program;
  }
  return out;
}

bool IsBuiltinFlag(absl::string_view name) {
  return name == "help" || name == "helpfull" || name == "helpshort" ||
         name == "helppackage" || name == "version" ||
         name == "only_check_args" || name == "flagfile" || name == "fromenv" ||
         name == "tryfromenv" || name == "undefok";
}

}  // namespace

std::string UserPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  return wd == nullptr ? path : std::string(wd) + "/" + path;
}

void UsageError(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n%s\n", Program().c_str(), message.c_str(),
               std::string(absl::ProgramUsageMessage()).c_str());
  std::exit(2);
}

std::vector<std::string> ParseFlagsOrExit(int argc, char** argv,
                                          const char* usage,
                                          int max_positional) {
  absl::string_view argv0 = argc > 0 ? argv[0] : "program";
  Program() = std::string(argv0.substr(argv0.rfind('/') + 1));
  const std::string named_usage = UsageFor(usage, Program());
  absl::SetProgramUsageMessage(named_usage);
  // gRPC core's own log lines (hpack parser errors on nginx's HTML pages,
  // ...) only when asked for: our programs report what matters themselves.
  setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::StartsWith(arg, "-") || arg == "-") continue;
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    absl::string_view name = arg.substr(0, arg.find('='));
    if (IsHelpFlag(name)) {
      std::printf("%s\n\nflags:\n%s", named_usage.c_str(), FlagsHelp().c_str());
      std::exit(0);
    }
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

// A signal of `set` pending now or arriving within `timeout`; 0 if none.
int TakeStopSignalWithin(const sigset_t& set, absl::Duration timeout) {
  timespec wait = absl::ToTimespec(timeout);
  siginfo_t info;
  const int signal_number = sigtimedwait(&set, &info, &wait);
  return signal_number > 0 ? signal_number : 0;
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
    if (int signal_number = TakeStopSignalWithin(set, tick); signal_number > 0)
      return signal_number;
    if (keep_waiting && !keep_waiting()) return 0;
  }
}

int TakeStopSignal() {
  return TakeStopSignalWithin(StopSignals(), absl::ZeroDuration());
}

}  // namespace saludo::runtime::live
