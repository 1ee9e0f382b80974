#include "nginx/nginx_process.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace saludo::nginx {
namespace {

namespace fs = std::filesystem;
using runtime::live::ReadFileOrEmpty;

constexpr char kUnprivilegedUser[] = "nobody";

std::string NginxBinary(const NginxOptions& options) {
  if (!options.nginx_binary.empty()) return options.nginx_binary;
  if (const char* env = std::getenv("SALUDO_NGINX"); env && *env) return env;
  return "/usr/sbin/nginx";
}

enum class PrefixFor { kRunning, kChecking };

// Creates prefix/{conf,logs,tmp} with the rendered configuration, owned by
// the user nginx will run as; `*handed_over` says whether it was handed to
// nobody (as root). Root in a user namespace that does not map nobody (a
// build sandbox, or `sim live` started by a user) keeps it: nginx then runs
// as that root. For running, any other failure to hand it over is an error;
// for checking, listen addresses become free loopback ports.
absl::StatusOr<std::string> MakePrefix(const NginxOptions& options,
                                       PrefixFor use, RenderedConfig* rendered,
                                       bool* handed_over = nullptr) {
  absl::StatusOr<RenderedConfig> config = RenderConfig(
      options.config_path, options.rewrites, use == PrefixFor::kChecking);
  if (!config.ok()) return config.status();
  *rendered = *std::move(config);
  absl::StatusOr<std::string> dir =
      runtime::live::MakeOwnedTempDir("saludo-nginx-");
  if (!dir.ok()) return dir.status();
  const std::string prefix = *dir;
  std::error_code ec;
  for (const char* dir : {"conf", "logs", "tmp"}) {
    fs::create_directories(fs::path(prefix) / dir, ec);
  }
  {
    std::ofstream out(fs::path(prefix) / "conf" / "nginx.conf");
    out << rendered->text;
  }
  if (handed_over != nullptr) *handed_over = false;
  if (geteuid() == 0) {
    if (passwd* pw = getpwnam(kUnprivilegedUser); pw != nullptr) {
      bool all = chown(prefix.c_str(), pw->pw_uid, pw->pw_gid) == 0;
      const bool unmapped = !all && errno == EINVAL;  // not in this namespace
      for (const auto& entry : fs::recursive_directory_iterator(prefix)) {
        all = all && chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) == 0;
      }
      if (!all && !unmapped && use == PrefixFor::kRunning) {
        fs::remove_all(prefix, ec);
        return absl::InternalError("chown to " + std::string(kUnprivilegedUser) +
                                   " failed in " + prefix);
      }
      if (handed_over != nullptr) *handed_over = all;
    }
  }
  chmod(prefix.c_str(), 0755);
  return prefix;
}

// Every port nginx will listen on must be free now; "port N is already in
// use" otherwise, before anything starts.
absl::Status PortsFree(const NginxOptions& options,
                       const std::vector<int>& ports) {
  for (int port : ports) {
    if (runtime::live::PortAcceptsConnections(port)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "port ", port, " is already in use (another process accepts "
          "connections on it); nginx (", options.config_path,
          ") cannot listen there"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> NginxArgv(const NginxOptions& options,
                                   const std::string& prefix,
                                   const std::string& extra_globals) {
  return {NginxBinary(options), "-p", prefix + "/",     "-c",
          "conf/nginx.conf",    "-e", "logs/error.log", "-g",
          extra_globals};
}

}  // namespace

std::string RemapPorts(absl::string_view config,
                       const std::map<int, int>& port_map) {
  std::string out;
  out.reserve(config.size());
  size_t i = 0;
  while (i < config.size()) {
    if (config[i] == ':' && i + 1 < config.size() &&
        std::isdigit(static_cast<unsigned char>(config[i + 1]))) {
      size_t j = i + 1;
      while (j < config.size() &&
             std::isdigit(static_cast<unsigned char>(config[j]))) {
        ++j;
      }
      int port = 0;
      if (absl::SimpleAtoi(config.substr(i + 1, j - i - 1), &port)) {
        if (auto it = port_map.find(port); it != port_map.end()) {
          absl::StrAppend(&out, ":", it->second);
          i = j;
          continue;
        }
      }
      out.append(config.data() + i, j - i);
      i = j;
      continue;
    }
    out.push_back(config[i++]);
  }
  return out;
}

absl::StatusOr<std::map<int, int>> ParsePortMap(absl::string_view text) {
  std::map<int, int> map;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    int from = 0, to = 0;
    if (!absl::SimpleAtoi(kv.first, &from) ||
        !absl::SimpleAtoi(kv.second, &to) || from < 1 || from > 65535 ||
        to < 1 || to > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad port mapping '", entry, "': expected FROM=TO, ports 1..65535"));
    }
    map[from] = to;
  }
  return map;
}

namespace {

// An argument as nginx reads it back: bare when it can be, else quoted with
// backslash and double quote escaped (nginx decodes both in quoted strings)
// and a newline written as \n.
std::string QuoteArg(const std::string& arg) {
  static constexpr char kSpecial[] = " \t\r\n\v\f;{}\"'\\#";
  if (!arg.empty() && arg.find_first_of(kSpecial) == std::string::npos) {
    return arg;
  }
  return absl::StrCat("\"",
                      absl::StrReplaceAll(arg, {{"\\", "\\\\"},
                                               {"\"", "\\\""},
                                               {"\n", "\\n"}}),
                      "\"");
}

// An argument as rewritten: an endpoint as a whole (or after "://"), else a
// port written bare ("listen 3005") or after a colon.
std::string RemapArg(const std::string& arg, const Rewrites& rewrites) {
  const size_t scheme = arg.find("://");
  const size_t host_at = scheme == std::string::npos ? 0 : scheme + 3;
  if (auto it = rewrites.endpoints.find(arg.substr(host_at));
      it != rewrites.endpoints.end()) {
    return arg.substr(0, host_at) + it->second;
  }
  int port = 0;
  if (absl::SimpleAtoi(arg, &port)) {
    if (auto it = rewrites.ports.find(port); it != rewrites.ports.end()) {
      return absl::StrCat(it->second);
    }
  }
  return RemapPorts(arg, rewrites.ports);
}

void Render(const std::vector<Directive>& block, int depth,
            const Rewrites& rewrites, bool in_server, RenderedConfig* out) {
  const std::string indent(depth * 4, ' ');
  for (const Directive& d : block) {
    std::string line = indent + d.name;
    for (size_t i = 0; i < d.args.size(); ++i) {
      std::string arg = RemapArg(d.args[i], rewrites);
      const bool listen = in_server && d.name == "listen" && i == 0;
      const std::string port_text = arg.substr(arg.rfind(':') + 1);
      int port = 0;
      if (listen && absl::SimpleAtoi(port_text, &port)) {
        out->listen_ports.push_back(port);
        if (rewrites.listen_any) arg = port_text;
      }
      absl::StrAppend(&line, " ", QuoteArg(arg));
    }
    out->text += line + (d.has_block ? " {\n" : ";\n");
    out->origin.push_back(d.where);
    if (!d.has_block) continue;
    Render(d.block, depth + 1, rewrites, in_server || d.name == "server", out);
    out->text += indent + "}\n";
    out->origin.push_back(d.where);
  }
}

// Log and pid files written as absolute paths (Debian's /var/log/nginx/...)
// go into the prefix's logs/ under their own names: an unprivileged nginx
// cannot write there, and they do not change what nginx does with a call.
void RebaseLogPaths(std::vector<Directive>* block) {
  for (Directive& d : *block) {
    const bool log = d.name == "access_log" || d.name == "error_log" ||
                     d.name == "pid";
    if (log && !d.args.empty() && absl::StartsWith(d.args[0], "/") &&
        d.args[0] != "/dev/null") {
      d.args[0] = "logs/" + fs::path(d.args[0]).filename().string();
    }
    RebaseLogPaths(&d.block);
  }
}

// Paths nginx otherwise takes from its build (/run/nginx.pid,
// /var/lib/nginx/..., /var/log/nginx/access.log), which an unprivileged nginx
// cannot write: pointed into the prefix unless the file sets them. Added
// lines count as the http (or first) directive's.
void AddPrefixPaths(std::vector<Directive>* top) {
  auto has = [](const std::vector<Directive>& block, const std::string& name) {
    return std::any_of(block.begin(), block.end(),
                       [&](const Directive& d) { return d.name == name; });
  };
  auto add = [](std::vector<Directive>* block, const SourceLocation& where,
                const std::string& name, const std::string& arg) {
    Directive d;
    d.name = name;
    d.args = {arg};
    d.arg_locations = {where};
    d.where = where;
    block->push_back(std::move(d));
  };
  if (top->empty()) return;
  RebaseLogPaths(top);
  // nginx runs unprivileged here, where `user` is ignored (with a warning);
  // a root in a user namespace is told `user root` on the command line.
  top->erase(std::remove_if(top->begin(), top->end(),
                            [](const Directive& d) { return d.name == "user"; }),
             top->end());
  if (!has(*top, "pid")) add(top, top->front().where, "pid", "logs/nginx.pid");
  for (Directive& http : *top) {
    if (http.name != "http" || !http.has_block) continue;
    if (!has(http.block, "access_log")) {
      add(&http.block, http.where, "access_log", "logs/access.log");
    }
    for (const char* kind :
         {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      const std::string name = absl::StrCat(kind, "_temp_path");
      if (!has(http.block, name)) {
        add(&http.block, http.where, name, absl::StrCat("tmp/", kind));
      }
    }
  }
}

// The attempt log next to whatever the file logs: access_log directives of
// one level replace those inherited, so every block with its own gets ours
// too (one with `access_log off` logs nothing, ours included).
void AddAttemptLog(std::vector<Directive>* block, bool http_level) {
  const auto own = std::find_if(block->begin(), block->end(), [](auto& d) {
    return d.name == "access_log" &&
           !(d.args.size() == 1 && d.args[0] == "off");
  });
  if (http_level || own != block->end()) {
    const SourceLocation where =
        own != block->end() ? own->where : block->front().where;
    Directive log;
    log.name = "access_log";
    log.args = {"logs/attempts.log", "saludo_attempt_times"};
    log.arg_locations = {where, where};
    log.where = where;
    block->push_back(std::move(log));
  }
  for (Directive& d : *block) {
    if (d.has_block && (d.name == "server" || d.name == "location")) {
      AddAttemptLog(&d.block, false);
    }
  }
}

void AddAttemptLogFormat(std::vector<Directive>* top) {
  for (Directive& http : *top) {
    if (http.name != "http" || !http.has_block || http.block.empty()) continue;
    Directive format;
    format.name = "log_format";
    format.args = {"saludo_attempt_times", kAttemptLogFormat};
    format.arg_locations = {http.where, http.where};
    format.where = http.where;
    http.block.insert(http.block.begin(), std::move(format));
    AddAttemptLog(&http.block, true);
  }
}

// For `nginx -t`, which binds every listen socket: each distinct listen
// address (and a server's default, *:80) becomes a free loopback port, so a
// port in use or a privileged one does not fail the check, and servers that
// shared a socket still share one.
absl::Status ListenOnFreePorts(std::vector<Directive>* top) {
  std::map<std::string, std::string> mapped;  // address as written -> new
  auto map = [&](const std::string& address) -> absl::StatusOr<std::string> {
    auto it = mapped.find(address);
    if (it != mapped.end()) return it->second;
    absl::StatusOr<int> port = runtime::live::PickFreePort();
    if (!port.ok()) return port.status();
    return mapped[address] = absl::StrCat("127.0.0.1:", *port);
  };
  for (Directive& http : *top) {
    if (http.name != "http") continue;
    for (Directive& server : http.block) {
      if (server.name != "server") continue;
      bool listens = false;
      for (Directive& d : server.block) {
        if (d.name != "listen" || d.args.empty() ||
            absl::StartsWith(d.args[0], "unix:")) {
          continue;
        }
        listens = true;
        int port = 0;
        const std::string& address = d.args[0];
        if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port) ||
            port < 1 || port > 65535) {
          continue;  // nginx's own message says what is wrong
        }
        absl::StatusOr<std::string> to = map(address);
        if (!to.ok()) return to.status();
        d.args[0] = *to;
      }
      if (listens) continue;
      absl::StatusOr<std::string> to = map("*:80");
      if (!to.ok()) return to.status();
      Directive listen;
      listen.name = "listen";
      listen.args = {*to};
      listen.arg_locations = {server.where};
      listen.where = server.where;
      server.block.insert(server.block.begin(), std::move(listen));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RenderedConfig> RenderConfig(const std::string& path,
                                            const Rewrites& rewrites,
                                            bool listen_on_free_ports) {
  absl::StatusOr<std::vector<Directive>> top = ParseConfigFile(path);
  if (!top.ok()) return top.status();
  AddPrefixPaths(&*top);
  if (rewrites.attempt_log) AddAttemptLogFormat(&*top);
  if (listen_on_free_ports) {
    if (absl::Status s = ListenOnFreePorts(&*top); !s.ok()) return s;
  }
  RenderedConfig rendered;
  rendered.text = absl::StrCat("# ", path, ", as rendered for this prefix\n");
  rendered.origin.push_back(SourceLocation{path, 1, 1});
  Render(*top, 0, rewrites, false, &rendered);
  return rendered;
}

namespace {

// nginx names the rendered copy ("in /tmp/saludo-nginx-X/conf/nginx.conf:12");
// say the user's file and line instead.
std::string UserLocations(std::string message, const std::string& prefix,
                          const RenderedConfig& rendered) {
  const std::string copy = prefix + "/conf/nginx.conf:";
  for (size_t at = message.find(copy); at != std::string::npos;
       at = message.find(copy, at)) {
    size_t end = at + copy.size();
    while (end < message.size() && std::isdigit(message[end])) ++end;
    int line = 0;
    if (!absl::SimpleAtoi(message.substr(at + copy.size(), end - at - copy.size()),
                          &line) ||
        line < 1 || line > static_cast<int>(rendered.origin.size())) {
      at = end;
      continue;
    }
    const SourceLocation& where = rendered.origin[line - 1];
    const std::string user = absl::StrCat(where.file, ":", where.line);
    message.replace(at, end - at, user);
    at += user.size();
  }
  return absl::StrReplaceAll(message, {{prefix + "/conf/nginx.conf",
                                        rendered.origin.front().file}});
}

}  // namespace

absl::StatusOr<std::string> FindNginx(const NginxOptions& options) {
  const std::string binary = NginxBinary(options);
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "no nginx at ", binary,
        " (install the Debian package nginx-light, or run ./bazelw; "
        "$SALUDO_NGINX overrides the path)"));
  }
  return binary;
}

absl::Status ValidateConfig(const NginxOptions& options) {
  RenderedConfig rendered;
  // Where the prefix cannot be handed over (root in a user namespace, as in
  // a build sandbox), nginx -t runs as this process's user.
  bool handed_over = false;
  absl::StatusOr<std::string> prefix =
      MakePrefix(options, PrefixFor::kChecking, &rendered, &handed_over);
  if (!prefix.ok()) return prefix.status();
  std::vector<std::string> argv = NginxArgv(
      options, *prefix,
      geteuid() == 0 && !handed_over ? "daemon off; user root;"
                                     : "daemon off;");
  argv.insert(argv.begin() + 1, "-t");
  // `nginx -t` as root would check as root; run it as nginx will run. The
  // child drops to that user itself (runuser's PAM session cost 12 ms).
  absl::StatusOr<runtime::live::CommandResult> result =
      runtime::live::RunCommand(argv, absl::Seconds(10),
                                handed_over ? kUnprivilegedUser : "");
  std::error_code ec;
  fs::remove_all(*prefix, ec);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nginx -t rejected ", options.config_path, ":\n",
        UserLocations(
            std::string(absl::StripTrailingAsciiWhitespace(result->output)),
            *prefix, rendered)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<NginxProcess>> NginxProcess::Start(
    const NginxOptions& options) {
  if (absl::StatusOr<std::string> binary = FindNginx(options); !binary.ok()) {
    return binary.status();
  }
  if (absl::Status valid = ValidateConfig(options); !valid.ok()) return valid;
  RenderedConfig rendered;
  bool handed_over = false;
  absl::StatusOr<std::string> prefix =
      MakePrefix(options, PrefixFor::kRunning, &rendered, &handed_over);
  if (!prefix.ok()) return prefix.status();
  // Root that cannot become nobody runs nginx as itself (`user root`).
  const bool as_root = geteuid() == 0 && !handed_over;
  if (absl::Status free = PortsFree(options, rendered.listen_ports);
      !free.ok()) {
    std::error_code ec;
    fs::remove_all(*prefix, ec);
    return free;
  }
  std::unique_ptr<NginxProcess> nginx(new NginxProcess);
  nginx->prefix_ = *prefix;
  nginx->keep_prefix_ = options.keep_prefix;
  nginx->listen_ports_ = rendered.listen_ports;

  runtime::live::SpawnOptions spawn;
  spawn.argv = NginxArgv(
      options, *prefix,
      absl::StrCat("daemon off;",
                   options.errors_to_stderr ? " error_log stderr warn;" : "",
                   as_root ? " user root;" : ""));
  spawn.user_if_root = as_root ? "" : kUnprivilegedUser;
  if (!options.errors_to_stderr) {
    spawn.stdout_path = *prefix + "/logs/stdout.log";
    spawn.stderr_path = *prefix + "/logs/stderr.log";
  }
  auto process = runtime::live::Subprocess::Spawn(spawn);
  if (!process.ok()) return process.status();
  nginx->process_ = std::move(*process);

  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (true) {
    // Ready means *this* nginx listens: a port that accepts connections
    // could be another process's.
    bool all_up = true;
    for (int port : nginx->listen_ports_) {
      all_up = all_up && runtime::live::ListensOn(nginx->process_->pid(), port);
    }
    if (all_up && nginx->process_->Running()) break;
    if (!nginx->process_->Running()) {
      std::string why = absl::StrCat(
          nginx->ErrorLog(), ReadFileOrEmpty(*prefix + "/logs/stderr.log"));
      nginx->Stop();
      return absl::UnavailableError(
          absl::StrCat("nginx exited at startup: ",
                       absl::StripTrailingAsciiWhitespace(why)));
    }
    if (absl::Now() > end) {
      nginx->Stop();
      return absl::DeadlineExceededError(absl::StrCat(
          "nginx did not accept connections on ",
          absl::StrJoin(nginx->listen_ports_, ", "), " within 10s"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return nginx;
}

NginxProcess::~NginxProcess() { Stop(); }

void NginxProcess::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (process_) process_->Stop(SIGTERM, absl::Seconds(5));
  if (!keep_prefix_ && !prefix_.empty()) {
    std::error_code ec;
    fs::remove_all(prefix_, ec);
  }
}

std::vector<std::string> NginxProcess::LogLines(const std::string& name) const {
  return absl::StrSplit(ReadFileOrEmpty(prefix_ + "/logs/" + name), '\n',
                        absl::SkipEmpty());
}

std::vector<std::string> NginxProcess::AccessLogLines() const {
  return LogLines("access.log");
}

std::vector<std::string> NginxProcess::AttemptLogLines() const {
  return LogLines("attempts.log");
}

std::string NginxProcess::ErrorLog() const {
  return ReadFileOrEmpty(prefix_ + "/logs/error.log");
}

}  // namespace saludo::nginx
