// Runs Debian's nginx as a normal process in a temporary prefix: no root paths,
// no Docker. The configuration is checked with `nginx -t` first; ports can be
// remapped so tests run on free ports with the very file the stack ships.
#ifndef SALUDO_NGINX_NGINX_PROCESS_H_
#define SALUDO_NGINX_NGINX_PROCESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nginx/config/parser.h"
#include "runtime/live/subprocess.h"

namespace saludo::nginx {

// Replaces every port `from` written as ":from" (not followed by a digit) with
// `to`, e.g. "127.0.0.1:3001" -> "127.0.0.1:41001" for {3001: 41001}.
std::string RemapPorts(absl::string_view config,
                       const std::map<int, int>& port_map);

// Parses "3001=41001,3005=41005" (empty: no remapping). INVALID_ARGUMENT
// names the bad entry.
absl::StatusOr<std::map<int, int>> ParsePortMap(absl::string_view text);

// A configuration as nginx will run it from its temporary prefix: read with
// the real parser (errors name the user's file:line), includes inlined (a
// relative include works however far the prefix is from the user's file),
// ports remapped, one directive per line; for each line, where it came from.
struct RenderedConfig {
  std::string text;
  std::vector<SourceLocation> origin;  // origin[i]: line i + 1 of `text`
  std::vector<int> listen_ports;       // remapped, in order
};
// One line per request in the prefix's logs/attempts.log when
// Rewrites::attempt_log: when it ended ($msec), its status and duration, and
// per attempt the backend, its status and how long it took, so a reader can
// tell when each attempt ran (to the millisecond).
inline constexpr char kAttemptLogFormat[] =
    "$msec|$status|$request_time|$upstream_addr|$upstream_status|"
    "$upstream_response_time";

// How a configuration changes for a run.
struct Rewrites {
  // Port -> port, wherever a port is written (bare or after a colon).
  std::map<int, int> ports;
  // "HOST:PORT" -> "HOST:PORT": an argument that is one (or ends with one
  // after "://") is replaced, and its port is not remapped again.
  std::map<std::string, std::string> endpoints;
  // Every listen address becomes its port alone (all addresses): for a
  // private network namespace, where clients reach nginx at several.
  bool listen_any = false;
  // Also log every request to logs/attempts.log in kAttemptLogFormat (at the
  // http level, and in each block that sets its own access_log).
  bool attempt_log = false;
};
// With `listen_on_free_ports` (for `nginx -t`, which binds them), every
// distinct listen address is replaced by a free loopback port.
absl::StatusOr<RenderedConfig> RenderConfig(const std::string& path,
                                            const Rewrites& rewrites,
                                            bool listen_on_free_ports = false);

struct NginxOptions {
  std::string config_path;
  Rewrites rewrites;  // ports, endpoints, listen addresses, attempt log
  // Empty: $SALUDO_NGINX if set, else /usr/sbin/nginx.
  std::string nginx_binary;
  // Also send nginx's error log to this process's stderr.
  bool errors_to_stderr = false;
  // Keep the prefix directory (config, logs) after Stop.
  bool keep_prefix = false;
};

// The nginx binary: options.nginx_binary, else $SALUDO_NGINX if set, else
// /usr/sbin/nginx; NOT_FOUND ("no nginx at PATH", and how to get one) if it
// is not an executable there.
absl::StatusOr<std::string> FindNginx(const NginxOptions& options);

class NginxProcess {
 public:
  // Renders the configuration into a new prefix, validates it with `nginx -t`
  // (INVALID_ARGUMENT with nginx's own message if it fails), starts nginx in
  // the foreground and waits (at most 10 s) until every listen port accepts
  // connections. As root, nginx runs as user "nobody" (as root itself where
  // a user namespace does not map nobody).
  static absl::StatusOr<std::unique_ptr<NginxProcess>> Start(
      const NginxOptions& options);

  // Stops nginx (see Stop).
  ~NginxProcess();

  // Fast shutdown (SIGTERM; SIGKILL after 5 s), then removes the prefix unless
  // keep_prefix. Idempotent.
  void Stop();

  bool Running() { return process_->Running(); }
  const std::string& prefix() const { return prefix_; }
  const std::vector<int>& listen_ports() const { return listen_ports_; }

  // Lines of logs/access.log so far (format `upstream_log` of nginx.conf).
  std::vector<std::string> AccessLogLines() const;
  // logs/attempts.log's lines (Rewrites::attempt_log).
  std::vector<std::string> AttemptLogLines() const;
  std::string ErrorLog() const;

 private:
  // The lines of logs/`name` in the prefix.
  std::vector<std::string> LogLines(const std::string& name) const;
  NginxProcess() = default;
  std::unique_ptr<runtime::live::Subprocess> process_;
  std::string prefix_;
  std::vector<int> listen_ports_;
  bool keep_prefix_ = false;
  bool stopped_ = false;
};

// Checks a configuration file with `nginx -t` in a scratch prefix. OK, or
// INVALID_ARGUMENT with nginx's message (which names file:line).
absl::Status ValidateConfig(const NginxOptions& options);

}  // namespace saludo::nginx

#endif  // SALUDO_NGINX_NGINX_PROCESS_H_
