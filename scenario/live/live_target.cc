#include "scenario/live/live_target.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/load_client.h"
#include "nginx/nginx_process.h"
#include "runtime/check.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/live/netns.h"
#include "runtime/live/subprocess.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"
#include "runtime/sync.h"
#include "scenario/live/attempt_log.h"
#include "scenario/services.h"
#include "stack/live_calls.h"
#include "stack/live_stack.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace saludo::scenario {

// One client of the scenario on the live runtime.
struct LiveClient {
  std::string name;
  client::LoadOptions load;
  std::unique_ptr<runtime::live::GrpcChannel> channel;
  std::unique_ptr<client::LoadClient> loader;
  runtime::Notification done;
  std::vector<client::CallRecord> records;
};

struct LiveTarget::Clients {
  runtime::live::SystemClock clock;
  runtime::live::TimerThread timers{&clock};
  std::vector<std::unique_ptr<LiveClient>> list;
};

namespace {

absl::Status Unimplemented(const std::string& why) {
  return absl::UnimplementedError(why);
}

}  // namespace

absl::StatusOr<Locate> RunfilesLocator(const std::string& argv0) {
  using bazel::tools::cpp::runfiles::Runfiles;
  std::string error;
  std::shared_ptr<Runfiles> runfiles(argv0.empty()
                                         ? Runfiles::CreateForTest(&error)
                                         : Runfiles::Create(argv0, &error));
  if (runfiles == nullptr) {
    return absl::NotFoundError("cannot find runfiles: " + error);
  }
  return Locate([runfiles](const std::string& path) {
    return runfiles->Rlocation(path);
  });
}

LiveTarget::LiveTarget(Locate locate)
    : locate_(std::move(locate)), clients_(std::make_unique<Clients>()) {}

LiveTarget::~LiveTarget() {
  // Held packets go at once; then clients (their channels), nginx, the
  // servers.
  delayer_.reset();
  clients_.reset();
  nginx_.reset();
  stack_.reset();
  if (net_) (void)net_->Remove();
}

uint32_t LiveTarget::evidence() const {
  return kCallRecords | kBalancerLog | kAttemptTimes | kServerClocks;
}

std::string LiveTarget::WhyMissing(uint32_t) const {
  return "live runs do not record it";
}

absl::Status LiveTarget::Build(const LoadedScenario& s) {
  SALUDO_CHECK(scenario_ == nullptr);  // built once
  scenario_ = &s;
  for (size_t i = 1; i <= s.backends.size(); ++i) {
    const bool found = std::any_of(
        s.backends.begin(), s.backends.end(),
        [&](const auto& b) { return b.server_id == static_cast<int>(i); });
    if (!found) {
      return absl::InvalidArgumentError(
          "live runs need backends with server ids 1..n");
    }
  }
  stack::LiveStackOptions options;
  for (const auto& b : s.backends) {
    id_of_[b.name] = b.server_id;
    const ServiceKind* kind = FindServiceKind(b.service);
    SALUDO_CHECK(kind != nullptr);  // the loader checked
    has_control_[b.server_id] = kind->has_control;
    const std::string binary =
        kind->live_binary.empty() ? "" : locate_(kind->live_binary);
    if (binary.empty() || access(binary.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("service ", b.service,
                       " cannot run live: no server binary ", kind->live_binary,
                       " that this user may run in this program's "
                       "runfiles (",
                       binary.empty() ? "not listed" : strerror(errno), ")"));
    }
    stack::ServerCommand& command = options.commands[b.server_id];
    command.argv = {binary};
    command.argv.insert(command.argv.end(), kind->live_args.begin(),
                        kind->live_args.end());
    command.ready = kind->live_ready;
  }
  if (runtime::live::InPrivateNetwork()) {
    std::vector<std::string> client_names;
    for (const auto& c : s.clients) client_names.push_back(c.name);
    absl::StatusOr<LiveNetwork> net = LiveNetwork::Make(id_of_, client_names);
    if (!net.ok()) return net.status();
    net_ = *std::move(net);
    for (const auto& [name, id] : id_of_) {
      options.hosts[id] = LiveNetwork::BackendHost(id);
    }
  }
  options.nginx_config = s.nginx_path;
  options.servers = static_cast<int>(s.backends.size());
  options.free_ports = true;
  options.start_nginx = false;
  absl::StatusOr<std::unique_ptr<stack::LiveStack>> live =
      stack::LiveStack::Start(options);
  if (!live.ok()) return live.status();
  stack_ = *std::move(live);
  if (absl::Status st = StartNginx(s); !st.ok()) return st;
  AddClients(s);
  return absl::OkStatus();
}

void LiveTarget::AddClients(const LoadedScenario& s) {
  for (size_t k = 0; k < s.clients.size(); ++k) {
    const LoadedScenario::Client& c = s.clients[k];
    // The client's target port as nginx listens on it here.
    const int port =
        c.target_port != 0 ? c.target_port : nginx::DefaultPort(s.nginx);
    const std::string host =
        net_ ? LiveNetwork::NginxHostFor(static_cast<int>(k)) : "127.0.0.1";
    const std::string target =
        absl::StrCat(host, ":", listen_port_map_.at(port));
    auto lc = std::make_unique<LiveClient>();
    lc->name = c.name;
    lc->load = c.load;
    lc->channel = std::make_unique<runtime::live::GrpcChannel>(target);
    LiveClient* raw = lc.get();
    Clients* clients = clients_.get();
    actions_.push_back({c.start, [raw, clients] {
                          raw->loader = std::make_unique<client::LoadClient>(
                              &clients->clock, raw->channel.get(), raw->load,
                              &clients->timers);
                          raw->loader->Start(
                              [raw](std::vector<client::CallRecord> r) {
                                raw->records = std::move(r);
                                raw->done.Notify();
                              });
                        }});
    clients_->list.push_back(std::move(lc));
  }
}

// nginx with the scenario's file, backends and listen ports remapped.
absl::Status LiveTarget::StartNginx(const LoadedScenario& s) {
  nginx::NginxOptions options;
  options.config_path = s.nginx_path;
  for (const auto& b : s.backends) {
    int port = 0;
    const size_t colon = b.address.rfind(':');
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(b.address.substr(colon + 1), &port)) {
      return absl::InvalidArgumentError("backend address without a port: " +
                                        b.address);
    }
    if (net_) {
      options.rewrites.endpoints[b.address] =
          stack_->server_target(b.server_id);
    } else {
      options.rewrites.ports[port] = stack_->server_port(b.server_id);
    }
    address_of_[stack_->server_target(b.server_id)] = b.address;
  }
  for (const nginx::ServerBlock& server : s.nginx.servers) {
    for (int port : server.listen_ports) {
      if (listen_port_map_.count(port)) continue;  // shared by servers
      absl::StatusOr<int> free = runtime::live::PickFreePort();
      if (!free.ok()) return free.status();
      options.rewrites.ports[port] = *free;
      listen_port_map_[port] = *free;
    }
  }
  options.rewrites.listen_any = net_.has_value();
  options.rewrites.attempt_log = true;
  absl::StatusOr<std::unique_ptr<nginx::NginxProcess>> nginx =
      nginx::NginxProcess::Start(options);
  if (!nginx.ok()) return nginx.status();
  nginx_ = *std::move(nginx);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PacketMatch>> LiveTarget::Links(const std::string& a,
                                                           const std::string& b,
                                                           bool one_way) const {
  if (!net_) {
    return Unimplemented(
        absl::StrCat("needs a private network namespace: ",
                     runtime::live::PrivateNetworkStatus().message()));
  }
  if (absl::Status st = NftAvailable(); !st.ok()) {
    return Unimplemented(std::string(st.message()));
  }
  std::vector<PacketMatch> links;
  if (auto m = net_->Match(a, b)) links.push_back(*m);
  if (one_way) return links;
  if (auto m = net_->Match(b, a)) links.push_back(*m);
  return links;
}

void LiveTarget::StartDelays() {
  if (delayed_.empty()) return;
  absl::StatusOr<std::unique_ptr<PacketDelayer>> delayer = PacketDelayer::Start(
      {delayed_.begin(), delayed_.end()}, scenario_->default_seed);
  if (!delayer.ok()) {
    notes_.push_back(absl::StrCat("skipped: link latency (",
                                  delayer.status().message(), ")"));
    return;
  }
  delayer_ = *std::move(delayer);
  UpdateDelays({delayed_.begin(), delayed_.end()});
}

void LiveTarget::UpdateDelays(const std::vector<PacketMatch>& links) {
  if (delayer_ == nullptr) return;
  for (const PacketMatch& m : links) {
    if (delayed_.count(m)) delayer_->SetLatency(m, net_->Latency(m));
  }
}

void LiveTarget::ApplyNetwork() {
  if (absl::Status st = net_->Apply(); !st.ok()) {
    notes_.push_back(absl::StrCat("network rules not applied: ", st.message()));
  }
}

absl::Status LiveTarget::SetLinks(const LoadedScenario& s) {
  if (!s.has_link_model) return absl::OkStatus();
  // Every directed link that carries traffic: nginx and each other node.
  std::vector<std::string> nodes;
  for (const auto& b : s.backends) nodes.push_back(b.name);
  for (const auto& c : s.clients) nodes.push_back(c.name);
  std::vector<PacketMatch> all;
  for (const std::string& node : nodes) {
    absl::StatusOr<std::vector<PacketMatch>> links =
        Links(kNginxNode, node, false);
    if (!links.ok()) return links.status();
    all.insert(all.end(), links->begin(), links->end());
  }
  for (const PacketMatch& m : all) {
    net_->SetLoss(m, s.default_link.loss);
    net_->SetLatency(m, s.default_link.latency);
  }
  bool duplicates = s.default_link.duplicate > 0;
  for (const auto& l : s.links) {
    if (auto m = net_->Match(l.from, l.to)) {
      net_->SetLoss(*m, l.link.loss);
      net_->SetLatency(*m, l.link.latency);
    }
    duplicates = duplicates || l.link.duplicate > 0;
  }
  for (const PacketMatch& m : all) {
    const sim::Distribution latency = *net_->Latency(m);
    if (latency.kind() != sim::Distribution::Kind::kFixed ||
        latency.Lower() > absl::ZeroDuration()) {
      delayed_.insert(m);
    }
  }
  if (duplicates) {
    notes_.push_back(
        "skipped: duplication (TCP discards a duplicated segment, so a "
        "duplicated packet changes nothing a live process sees)");
  }
  ApplyNetwork();
  return absl::OkStatus();
}

absl::Status LiveTarget::Partition(const std::string& a, const std::string& b,
                                   absl::Duration at, absl::Duration duration,
                                   bool one_way) {
  absl::StatusOr<std::vector<PacketMatch>> links = Links(a, b, one_way);
  if (!links.ok()) return links.status();
  auto cut = [this, links = *links](int delta) {
    for (const PacketMatch& m : links) net_->Cut(m, delta);
    ApplyNetwork();
  };
  actions_.push_back({at, [cut] { cut(+1); }});
  actions_.push_back({at + duration, [cut] { cut(-1); }});
  return absl::OkStatus();
}

LiveTarget::ServiceState LiveTarget::MachineClock(const ServiceState& st) {
  ServiceState clock;
  clock.clock_offset = st.clock_offset;
  clock.drift_ppb = st.drift_ppb;
  return clock;
}

absl::StatusOr<int> LiveTarget::Backend(const std::string& node) const {
  auto it = id_of_.find(node);
  if (it == id_of_.end()) {
    return Unimplemented(
        absl::StrCat("faults on ", node, " are not applied live"));
  }
  return it->second;
}

absl::Status LiveTarget::Crash(const std::string& node, absl::Duration at) {
  absl::StatusOr<int> id = Backend(node);
  if (!id.ok()) return id.status();
  actions_.push_back({at, [this, id = *id] {
                        stack_->KillServer(id);
                        // Clock faults belong to the machine (as simulated).
                        state_[id] = MachineClock(state_[id]);
                      }});
  return absl::OkStatus();
}

absl::Status LiveTarget::Restart(const std::string& node, absl::Duration at) {
  absl::StatusOr<int> id = Backend(node);
  if (!id.ok()) return id.status();
  actions_.push_back(
      {at, [this, id = *id] {
         if (!stack_->RestartServer(id).ok()) return;
         const ServiceState& st = state_[id];
         if (has_control_.at(id) &&
             (st.drift_ppb != 0 || st.clock_offset != absl::ZeroDuration())) {
           SendFaults(id);  // the new process's clock
         }
       }});
  return absl::OkStatus();
}

absl::Status LiveTarget::Pause(const std::string& node, absl::Duration at,
                               absl::Duration duration) {
  absl::StatusOr<int> id = Backend(node);
  if (!id.ok()) return id.status();
  actions_.push_back(
      {at, [this, id = *id] { stack_->SignalServer(id, SIGSTOP); }});
  actions_.push_back(
      {at + duration, [this, id = *id] { stack_->SignalServer(id, SIGCONT); }});
  return absl::OkStatus();
}

void LiveTarget::SendFaults(int id) {
  ServiceState& st = state_[id];
  control::Faults f = st.faults;
  const absl::Duration hang = st.hang_until - absl::Now();
  f.set_hang_nanos(hang > absl::ZeroDuration() ? absl::ToInt64Nanoseconds(hang)
                                               : 0);
  f.set_clock_offset_nanos(absl::ToInt64Nanoseconds(st.clock_offset));
  f.set_clock_drift_ppb(st.drift_ppb);
  (void)stack::SetServerFaults(stack_->control_target(id), f);
}

absl::Status LiveTarget::ChangeService(
    const std::string& node, absl::Duration at,
    std::function<void(ServiceState&)> change) {
  absl::StatusOr<int> id = Backend(node);
  if (!id.ok()) return id.status();
  if (!has_control_.at(*id)) {
    return Unimplemented(absl::StrCat(node,
                                      "'s service has no control "
                                      "service"));
  }
  actions_.push_back({at, [this, id = *id, change = std::move(change)] {
                        change(state_[id]);
                        SendFaults(id);
                      }});
  return absl::OkStatus();
}

absl::Status LiveTarget::Hang(const std::string& node, absl::Duration at,
                              absl::Duration duration) {
  return ChangeService(node, at, [duration](ServiceState& st) {
    st.hang_until = absl::Now() + duration;
  });
}

absl::Status LiveTarget::Slow(const std::string& node, absl::Duration at,
                              absl::Duration delay) {
  return ChangeService(node, at, [delay](ServiceState& st) {
    st.faults.set_reply_delay_nanos(absl::ToInt64Nanoseconds(delay));
  });
}

absl::Status LiveTarget::Errors(const std::string& node, absl::Duration at,
                                absl::StatusCode code, double rate) {
  return ChangeService(node, at, [code, rate](ServiceState& st) {
    st.faults.set_error_rate(rate);
    st.faults.set_error_code(static_cast<int>(code));
  });
}

absl::Status LiveTarget::ClearFaults(const std::string& node,
                                     absl::Duration at) {
  return ChangeService(node, at, [](ServiceState& st) {
    // Clock faults belong to the machine: they outlive clear_faults.
    st = MachineClock(st);
  });
}

absl::Status LiveTarget::ClockOffset(const std::string& node, absl::Duration at,
                                     absl::Duration offset) {
  return ChangeService(
      node, at, [offset](ServiceState& st) { st.clock_offset = offset; });
}

absl::Status LiveTarget::ClockDrift(const std::string& node, absl::Duration at,
                                    int64_t drift_ppb) {
  return ChangeService(
      node, at, [drift_ppb](ServiceState& st) { st.drift_ppb = drift_ppb; });
}

absl::Status LiveTarget::ClockJump(const std::string& node, absl::Duration at,
                                   absl::Duration delta) {
  return ChangeService(node, at,
                       [delta](ServiceState& st) { st.clock_offset += delta; });
}

absl::Status LiveTarget::CrashOnCall(const std::string& node,
                                     absl::Duration at) {
  return ChangeService(node, at, [](ServiceState& st) {
    st.faults.set_crash_on_call(true);
  });
}

absl::Status LiveTarget::ChangeLink(const std::string& a, const std::string& b,
                                    absl::Duration at, absl::Duration duration,
                                    const LinkChange& change, bool one_way) {
  absl::StatusOr<std::vector<PacketMatch>> links = Links(a, b, one_way);
  if (!links.ok()) return links.status();
  if (change.latency.has_value()) delayed_.insert(links->begin(), links->end());
  auto ids = std::make_shared<std::vector<int>>();
  actions_.push_back({at, [this, links = *links, ids, change] {
                        for (const PacketMatch& m : links) {
                          if (change.loss.has_value()) {
                            ids->push_back(net_->OverrideLoss(m, *change.loss));
                          }
                          if (change.latency.has_value()) {
                            ids->push_back(
                                net_->OverrideLatency(m, *change.latency));
                          }
                        }
                        if (change.loss.has_value()) ApplyNetwork();
                        UpdateDelays(links);
                      }});
  actions_.push_back({at + duration, [this, links = *links, ids, change] {
                        for (int id : *ids) net_->RemoveOverride(id);
                        if (change.loss.has_value()) ApplyNetwork();
                        UpdateDelays(links);
                      }});
  return absl::OkStatus();
}

// nginx's attempt log, with live addresses mapped back to the scenario's.
std::vector<sim::TwinLogEntry> LiveTarget::ReadAccessLog() const {
  std::vector<sim::TwinLogEntry> log;
  for (const std::string& line : nginx_->AttemptLogLines()) {
    std::optional<sim::TwinLogEntry> e =
        ParseAttemptLogLine(line, address_of_, start_);
    if (e.has_value()) log.push_back(*std::move(e));
  }
  return log;
}

void LiveTarget::Cancel() {
  if (!cancelled_.HasBeenNotified()) cancelled_.Notify();
}

size_t LiveTarget::PlayTimeline(absl::Time start, absl::Duration until) {
  std::stable_sort(
      actions_.begin(), actions_.end(),
      [](const Action& a, const Action& b) { return a.at < b.at; });
  size_t applied = 0;
  for (; applied < actions_.size(); ++applied) {
    // After the last call nothing is observed: a fault's end (a partition
    // healing, say) past a truncated scenario's end is not waited for.
    if (actions_[applied].at > until) break;
    const absl::Duration wait = start + actions_[applied].at - absl::Now();
    if (wait > absl::ZeroDuration() &&
        cancelled_.WaitForNotificationWithTimeout(wait)) {
      break;
    }
    if (cancelled_.HasBeenNotified()) break;
    actions_[applied].run();
    // When it had taken effect, against when it was due.
    latest_action_ = std::max(latest_action_,
                              absl::Now() - (start + actions_[applied].at));
  }
  return applied;
}

bool LiveTarget::WaitForClients(absl::Time limit,
                                std::vector<sim::TwinLogEntry>* balancer) {
  bool stopping = false;
  for (auto& c : clients_->list) {
    if (c->loader == nullptr) continue;  // interrupted before it started
    while (!c->done.WaitForNotificationWithTimeout(absl::Milliseconds(50)) &&
           absl::Now() < limit) {
      if (!cancelled_.HasBeenNotified() || stopping) continue;
      // No new calls; nginx gone, so the calls in flight end at once.
      stopping = true;
      for (auto& other : clients_->list) {
        if (other->loader != nullptr) other->loader->Stop();
      }
      *balancer = ReadAccessLog();
      nginx_->Stop();
    }
  }
  for (const auto& [name, id] : id_of_) {
    if (stack_->ServerRunning(id)) stack_->SignalServer(id, SIGCONT);
  }
  return stopping;
}

absl::StatusOr<Observations> LiveTarget::Run(absl::Duration until) {
  SALUDO_CHECK(scenario_ != nullptr);  // Build ran
  StartDelays();
  start_ = absl::Now();
  const absl::Time start = start_;
  const size_t applied = PlayTimeline(start, until);
  // Calls end within their deadline; allow for slow process start-up.
  std::vector<sim::TwinLogEntry> balancer;  // read before nginx stopped
  const bool stopped =
      WaitForClients(start + until + absl::Seconds(4), &balancer);
  Observations o;
  const std::string elapsed = absl::FormatDuration(
      absl::Trunc(absl::Now() - start, absl::Milliseconds(1)));
  o.where = absl::StrCat("live run, ", elapsed, " of real time");
  o.timing_slack = latest_action_;
  o.attempt_time_resolution = kAttemptLogResolution;
  o.notes = notes_;
  if (delayer_ != nullptr) {
    const PacketDelayer::Stats st = delayer_->stats();
    o.notes.push_back(absl::StrCat(
        "link latency: ", st.packets, " packets delayed (at most ",
        st.held_most, " held at once), each released at most ",
        absl::FormatDuration(absl::Trunc(st.late_most, absl::Microseconds(1))),
        " after its drawn time",
        st.overruns == 0 ? ""
                         : absl::StrCat("; the queue overflowed ", st.overruns,
                                        " times (packets dropped)")));
  }
  if (!actions_.empty()) {
    o.notes.push_back(absl::StrCat(
        "timeline actions took effect up to ",
        absl::FormatDuration(absl::Trunc(latest_action_, absl::Microseconds(10))),
        " after their times (checks that relate calls to faults allow for "
        "it)"));
  }
  if (cancelled_.HasBeenNotified()) {
    o.notes.push_back(absl::StrCat(
        "interrupted after ", elapsed, ": ", applied, " of ", actions_.size(),
        " timeline actions done (client starts and faults); every process "
        "stopped"));
  }
  for (auto& c : clients_->list) {
    if (c->loader == nullptr) continue;  // interrupted before it started
    if (!c->done.HasBeenNotified()) {
      return absl::DeadlineExceededError(
          absl::StrCat("client ", c->name, " did not finish its calls"));
    }
    for (const client::CallRecord& r : c->records) {
      ScenarioCall call{c->name, r, c->load.deadline};
      // Live monotonic readings: make them relative to the scenario's start.
      call.record.started = r.started_wall - start;
      o.calls.push_back(call);
    }
  }
  std::stable_sort(o.calls.begin(), o.calls.end(),
                   [](const ScenarioCall& a, const ScenarioCall& b) {
                     return a.record.started < b.record.started;
                   });
  o.balancer = stopped ? std::move(balancer) : ReadAccessLog();
  nginx_->Stop();
  return o;
}

}  // namespace saludo::scenario
