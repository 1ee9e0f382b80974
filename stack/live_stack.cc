#include "stack/live_stack.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace saludo::stack {

absl::StatusOr<StackFiles> FindStackFiles(const std::string& argv0) {
  using bazel::tools::cpp::runfiles::Runfiles;
  std::string error;
  std::unique_ptr<Runfiles> runfiles(argv0.empty()
                                         ? Runfiles::CreateForTest(&error)
                                         : Runfiles::Create(argv0, &error));
  if (runfiles == nullptr) {
    return absl::NotFoundError("cannot find runfiles: " + error);
  }
  StackFiles files;
  files.server_binary =
      runfiles->Rlocation("saludo_sim/services/saludo_server");
  files.nginx_conf = runfiles->Rlocation("saludo_sim/nginx/nginx.conf");
  files.seed_conf = runfiles->Rlocation("saludo_sim/nginx/seed.conf");
  for (const std::string& path :
       {files.server_binary, files.nginx_conf, files.seed_conf}) {
    std::error_code error;  // e.g. a directory this user may not read
    if (path.empty() || !std::filesystem::exists(path, error)) {
      return absl::NotFoundError("missing runfile " + path);
    }
  }
  return files;
}

LiveStackOptions FreePortOptions(const StackFiles& files) {
  LiveStackOptions options;
  options.server_binary = files.server_binary;
  options.nginx_config = files.nginx_conf;
  options.free_ports = true;
  return options;
}

absl::StatusOr<std::unique_ptr<LiveStack>> LiveStack::Start(
    const LiveStackOptions& options) {
  std::unique_ptr<LiveStack> stack(new LiveStack);
  stack->options_ = options;
  absl::StatusOr<std::string> dir =
      runtime::live::MakeOwnedTempDir("saludo-stack-");
  if (!dir.ok()) return dir.status();
  stack->log_dir_ = *dir;

  std::map<int, int> port_map;
  for (int id = 1; id <= options.servers; ++id) {
    // Free ports: the server binds port 0 and reports the one it got, so no
    // other process can take it in between.
    stack->server_ports_[id] =
        options.free_ports ? 0 : kSeedServerBasePort + id;
    if (absl::Status s = stack->StartServer(id); !s.ok()) return s;
    port_map[kSeedServerBasePort + id] = stack->server_ports_[id];
  }
  if (!options.start_nginx) return stack;
  if (options.free_ports) {
    absl::StatusOr<int> free = runtime::live::PickFreePort();
    if (!free.ok()) return free.status();
    port_map[kSeedNginxPort] = *free;
  }
  nginx::NginxOptions nginx_options;
  nginx_options.config_path = options.nginx_config;
  nginx_options.rewrites.ports = port_map;
  absl::StatusOr<std::unique_ptr<nginx::NginxProcess>> nginx =
      nginx::NginxProcess::Start(nginx_options);
  if (!nginx.ok()) return nginx.status();
  stack->nginx_ = std::move(*nginx);
  return stack;
}

LiveStack::~LiveStack() {
  if (nginx_) nginx_->Stop();
  for (auto& [id, server] : servers_) {
    if (server) server->Stop(SIGTERM, absl::Seconds(3));
  }
  std::error_code ec;
  std::filesystem::remove_all(log_dir_, ec);
}

namespace {

// The port of the HOST:PORT that follows `prefix` in `line`.
absl::StatusOr<int> PortAfter(const std::string& line,
                              const std::string& prefix) {
  size_t start = line.find(prefix);
  start = start == std::string::npos ? 0 : start + prefix.size();
  while (start < line.size() && line[start] == ' ') ++start;
  std::string address = line.substr(start, line.find(' ', start) - start);
  if (!address.empty() && address.back() == ')') address.pop_back();
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InternalError("cannot read the port in: " + line);
  }
  return port;
}

}  // namespace

ServerCommand LiveStack::CommandFor(int id) const {
  if (auto it = options_.commands.find(id); it != options_.commands.end()) {
    return it->second;
  }
  ServerCommand saludo;
  saludo.argv = {options_.server_binary, "--id={id}", "--port={port}",
                 "--host={host}",
                 absl::StrCat("--log_calls=", options_.log_calls)};
  if (options_.control) {
    saludo.argv.push_back("--control");
    saludo.argv.push_back("--control_port={control_port}");
  }
  saludo.ready = "servidor {id} listening on";
  return saludo;
}

std::string LiveStack::Host(int id) const {
  auto it = options_.hosts.find(id);
  return it == options_.hosts.end() ? "127.0.0.1" : it->second;
}

absl::Status LiveStack::StartServer(int id) {
  const ServerCommand command = CommandFor(id);
  auto fill = [&](const std::string& text) {
    return absl::StrReplaceAll(
        text, {{"{id}", absl::StrCat(id)},
               {"{port}", absl::StrCat(server_ports_.at(id))},
               {"{host}", Host(id)},
               {"{control_port}", absl::StrCat(control_ports_[id])}});
  };
  runtime::live::SpawnOptions spawn;
  for (const std::string& arg : command.argv) spawn.argv.push_back(fill(arg));
  spawn.death_signal = SIGKILL;  // a paused (SIGSTOPped) server too
  spawn.stdout_path = absl::StrCat(log_dir_, "/server", id, ".out");
  spawn.stderr_path = spawn.stdout_path;
  // A restart must not mistake the last incarnation's "listening" line for
  // its own.
  std::filesystem::remove(spawn.stdout_path);
  absl::StatusOr<std::unique_ptr<runtime::live::Subprocess>> child =
      runtime::live::Subprocess::Spawn(spawn);
  if (!child.ok()) return child.status();
  servers_[id] = std::move(*child);
  absl::StatusOr<std::string> ready =
      runtime::live::WaitForLine(spawn.stdout_path, fill(command.ready),
                                 absl::Seconds(10), servers_[id].get());
  if (!ready.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "server ", id, " (", spawn.argv[0], "): ", ready.status().message()));
  }
  // "<ready> HOST:PORT[ more text][ (control HOST:PORT)]"
  const std::string ready_text = fill(command.ready);
  absl::StatusOr<int> port = PortAfter(*ready, ready_text);
  if (!port.ok()) return port.status();
  server_ports_[id] = *port;  // a restart reuses it
  if (ready->find("(control ") != std::string::npos) {
    absl::StatusOr<int> control = PortAfter(*ready, "(control ");
    if (!control.ok()) return control.status();
    control_ports_[id] = *control;
  }
  return absl::OkStatus();
}

std::string LiveStack::nginx_target() const {
  return absl::StrCat("127.0.0.1:", nginx_->listen_ports().at(0));
}

std::string LiveStack::control_target(int id) const {
  auto it = control_ports_.find(id);
  return it == control_ports_.end() || it->second == 0
             ? ""
             : absl::StrCat("127.0.0.1:", it->second);
}

std::string LiveStack::server_target(int id) const {
  return absl::StrCat(Host(id), ":", server_ports_.at(id));
}

void LiveStack::KillServer(int id) {
  servers_.at(id)->Stop(SIGKILL, absl::Seconds(5));
}

absl::Status LiveStack::RestartServer(int id) {
  KillServer(id);
  return StartServer(id);
}

std::string LiveStack::ServerOutput(int id) const {
  return runtime::live::ReadFileOrEmpty(
      absl::StrCat(log_dir_, "/server", id, ".out"));
}

}  // namespace saludo::stack
