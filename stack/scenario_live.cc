#include "stack/scenario_live.h"

#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/load_client.h"
#include "nginx/nginx_process.h"
#include "runtime/live/grpc_channel.h"
#include "runtime/live/subprocess.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"
#include "runtime/sync.h"
#include "stack/live_calls.h"
#include "stack/live_stack.h"

namespace saludo::stack {
namespace {

// One client of the scenario on the live runtime.
struct LiveClient {
  std::string name;
  client::LoadOptions load;
  absl::Duration start;
  std::unique_ptr<runtime::live::GrpcChannel> channel;
  std::unique_ptr<client::LoadClient> loader;
  runtime::Notification done;
  std::vector<client::CallRecord> records;
};

// An action at a time offset.
struct Action {
  absl::Duration at;
  std::function<void()> run;
};

}  // namespace

absl::StatusOr<LiveScenarioResult> RunScenarioLive(
    const sim::LoadedScenario& s, const std::string& server_binary) {
  LiveScenarioResult result;
  std::map<std::string, int> id_of;  // backend name -> server id
  for (size_t i = 0; i < s.backends.size(); ++i) {
    bool found = false;
    for (const auto& b : s.backends)
      found |= b.server_id == static_cast<int>(i + 1);
    if (!found) {
      return absl::InvalidArgumentError(
          "live runs need backends with server ids 1..n");
    }
  }
  for (const auto& b : s.backends) id_of[b.name] = b.server_id;

  LiveStackOptions options;
  options.server_binary = server_binary;
  options.nginx_config = s.nginx_path;
  options.servers = static_cast<int>(s.backends.size());
  options.free_ports = true;
  options.start_nginx = false;
  absl::StatusOr<std::unique_ptr<LiveStack>> stack = LiveStack::Start(options);
  if (!stack.ok()) return stack.status();
  LiveStack& live = **stack;

  // nginx with the scenario's file, backends and listen ports remapped.
  nginx::NginxOptions nginx_options;
  nginx_options.config_path = s.nginx_path;
  std::map<std::string, std::string> address_of_port;  // live -> scenario
  for (const auto& b : s.backends) {
    int port = 0;
    const size_t colon = b.address.rfind(':');
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(b.address.substr(colon + 1), &port)) {
      return absl::InvalidArgumentError("backend address without a port: " +
                                        b.address);
    }
    nginx_options.port_map[port] = live.server_port(b.server_id);
    address_of_port[live.server_target(b.server_id)] = b.address;
  }
  for (const nginx::ServerBlock& server : s.nginx.servers) {
    for (int port : server.listen_ports) {
      absl::StatusOr<int> free = runtime::live::PickFreePort();
      if (!free.ok()) return free.status();
      nginx_options.port_map[port] = *free;
    }
  }
  absl::StatusOr<std::unique_ptr<nginx::NginxProcess>> nginx =
      nginx::NginxProcess::Start(nginx_options);
  if (!nginx.ok()) return nginx.status();
  const std::string target =
      absl::StrCat("127.0.0.1:", (*nginx)->listen_ports().at(0));

  // What cannot be applied live.
  auto skip = [&](const std::string& what) { result.skipped.push_back(what); };
  if (s.proto.network().has_default_link() || !s.links.empty()) {
    skip("network latency, loss and duplication (loopback is used as it is)");
  }
  for (const auto& p : s.partitions) {
    skip(absl::StrCat("partition ", p.a, " / ", p.b, " at ",
                      absl::FormatDuration(p.start),
                      " (needs network namespaces)"));
  }

  runtime::live::SystemClock clock;
  runtime::live::TimerThread timers(&clock);
  std::vector<std::unique_ptr<LiveClient>> clients;
  std::vector<Action> actions;
  for (const auto& c : s.clients) {
    auto lc = std::make_unique<LiveClient>();
    lc->name = c.name;
    lc->load = c.load;
    lc->start = c.start;
    lc->channel = std::make_unique<runtime::live::GrpcChannel>(target);
    LiveClient* raw = lc.get();
    actions.push_back({c.start, [raw, &clock, &timers] {
                         raw->loader = std::make_unique<client::LoadClient>(
                             &clock, raw->channel.get(), raw->load, &timers);
                         raw->loader->Start(
                             [raw](std::vector<client::CallRecord> r) {
                               raw->records = std::move(r);
                               raw->done.Notify();
                             });
                       }});
    clients.push_back(std::move(lc));
  }
  // Service faults are set as a whole through the control service: keep each
  // backend's current set so a new fault does not clear the others.
  struct ServiceState {
    control::Faults faults;
    absl::Time hang_until = absl::InfinitePast();
    absl::Duration clock_offset = absl::ZeroDuration();
  };
  auto state = std::make_shared<std::map<int, ServiceState>>();
  auto send = [&live, state](int id) {
    ServiceState& st = (*state)[id];
    control::Faults f = st.faults;
    const absl::Duration hang = st.hang_until - absl::Now();
    f.set_hang_nanos(
        hang > absl::ZeroDuration() ? absl::ToInt64Nanoseconds(hang) : 0);
    f.set_clock_offset_nanos(absl::ToInt64Nanoseconds(st.clock_offset));
    (void)SetServerFaults(live.server_target(id), f);
  };
  for (const sim::ScenarioFault& f : s.faults) {
    auto it = id_of.find(f.node);
    if (it == id_of.end()) {
      skip(absl::StrCat(f.Describe(), " (faults on ", f.node,
                        " are not applied live)"));
      continue;
    }
    const int id = it->second;
    switch (f.kind) {
      case scenario::Fault::kCrash:
        actions.push_back({f.at, [&live, id, state] {
                             live.KillServer(id);
                             (*state)[id] = ServiceState();
                           }});
        break;
      case scenario::Fault::kRestart:
        actions.push_back(
            {f.at, [&live, id] { (void)live.RestartServer(id); }});
        break;
      case scenario::Fault::kPause:
        actions.push_back(
            {f.at, [&live, id] { live.SignalServer(id, SIGSTOP); }});
        actions.push_back({f.at + f.duration,
                           [&live, id] { live.SignalServer(id, SIGCONT); }});
        break;
      case scenario::Fault::kHang:
        actions.push_back({f.at, [state, send, id, d = f.duration] {
                             (*state)[id].hang_until = absl::Now() + d;
                             send(id);
                           }});
        break;
      case scenario::Fault::kSlow:
        actions.push_back({f.at, [state, send, id, d = f.delay] {
                             (*state)[id].faults.set_reply_delay_nanos(
                                 absl::ToInt64Nanoseconds(d));
                             send(id);
                           }});
        break;
      case scenario::Fault::kErrors:
        actions.push_back(
            {f.at, [state, send, id, code = f.code, rate = f.rate] {
               (*state)[id].faults.set_error_rate(rate);
               (*state)[id].faults.set_error_code(static_cast<int>(code));
               send(id);
             }});
        break;
      case scenario::Fault::kClearFaults:
        actions.push_back({f.at, [state, send, id] {
                             const absl::Duration offset =
                                 (*state)[id].clock_offset;
                             (*state)[id] = ServiceState();
                             (*state)[id].clock_offset = offset;
                             send(id);
                           }});
        break;
      case scenario::Fault::kClockOffset:
        actions.push_back({f.at, [state, send, id, by = f.shift] {
                             (*state)[id].clock_offset = by;
                             send(id);
                           }});
        break;
      case scenario::Fault::kClockJump:
        actions.push_back({f.at, [state, send, id, by = f.shift] {
                             (*state)[id].clock_offset += by;
                             send(id);
                           }});
        break;
      case scenario::Fault::kClockDrift:
        skip(absl::StrCat(f.Describe(),
                          " (a live clock cannot be made to drift)"));
        break;
      default:
        break;
    }
  }
  std::stable_sort(
      actions.begin(), actions.end(),
      [](const Action& a, const Action& b) { return a.at < b.at; });

  const absl::Time start = absl::Now();
  for (const Action& a : actions) {
    const absl::Duration wait = start + a.at - absl::Now();
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    a.run();
  }
  // Loads stop starting calls at their duration; the last ones end within
  // their deadline.
  absl::Duration longest = absl::ZeroDuration();
  for (const auto& c : s.clients) {
    longest = std::max(longest, c.start + c.load.duration + c.load.deadline);
  }
  for (auto& c : clients) {
    c->done.WaitForNotificationWithTimeout(start + longest + absl::Seconds(5) -
                                           absl::Now());
  }
  for (auto& [id, st] : *state) {
    if (live.ServerRunning(id)) live.SignalServer(id, SIGCONT);
  }

  sim::ScenarioRun& run = result.run;
  run.seed = 0;
  run.simulated = absl::Now() - start;
  for (auto& c : clients) {
    if (!c->done.HasBeenNotified()) {
      return absl::DeadlineExceededError(
          absl::StrCat("client ", c->name, " did not finish its calls"));
    }
    for (const client::CallRecord& r : c->records) {
      sim::ScenarioCall call{c->name, r, c->load.deadline};
      // Live monotonic readings: make them relative to the scenario's start.
      call.record.started = r.started_wall - start;
      run.calls.push_back(call);
    }
  }
  std::stable_sort(run.calls.begin(), run.calls.end(),
                   [](const sim::ScenarioCall& a, const sim::ScenarioCall& b) {
                     return a.record.started < b.record.started;
                   });
  for (const std::string& line : (*nginx)->AccessLogLines()) {
    sim::TwinLogEntry e;
    absl::SimpleAtoi(line.substr(0, line.find(' ')), &e.status);
    const size_t up = line.find("upstream=");
    const size_t st = line.find(" upstream_status=");
    const size_t rt = line.find(" request_time=");
    if (up == std::string::npos || st == std::string::npos ||
        rt == std::string::npos)
      continue;
    for (absl::string_view a :
         absl::StrSplit(line.substr(up + 9, st - up - 9), ", ")) {
      auto it = address_of_port.find(std::string(a));
      e.upstream_addr.push_back(it == address_of_port.end() ? std::string(a)
                                                            : it->second);
    }
    for (absl::string_view code :
         absl::StrSplit(line.substr(st + 17, rt - st - 17), ", ")) {
      int value = 0;
      absl::SimpleAtoi(code, &value);
      e.upstream_status.push_back(value);
    }
    run.nginx_log.push_back(e);
  }
  (*nginx)->Stop();
  run.verdicts = sim::CheckProperties(s, run);
  for (sim::Verdict& v : run.verdicts) {
    if (v.property.rfind("circuit breaker", 0) == 0) {
      v.skipped = true;
      v.holds = true;
      v.measured =
          "not checked live: nginx's access log does not say when each attempt "
          "ran";
      v.first_violation.clear();
    }
  }
  return result;
}

}  // namespace saludo::stack
