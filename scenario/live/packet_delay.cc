#include "scenario/live/packet_delay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/check.h"
#include "runtime/live/subprocess.h"

namespace saludo::scenario {
namespace {

// Debian's iptables-nft (the NFQUEUE target through nftables' xtables
// compatibility: these kernels have no native nft queue).
std::string IptablesPath() {
  return runtime::live::FindSystemProgram("iptables-nft");
}

absl::Status Iptables(std::vector<std::string> args) {
  args.insert(args.begin(), IptablesPath());
  absl::StatusOr<runtime::live::CommandResult> r =
      runtime::live::RunCommand(args, absl::Seconds(10));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("iptables refused a delay rule: ", r->output));
  }
  return absl::OkStatus();
}

std::vector<std::string> QueueRule(const PacketMatch& link, int queue) {
  return {"-t",
          "mangle",
          "-A",
          "OUTPUT",
          link.to_address ? "-d" : "-s",
          link.address,
          "-j",
          "NFQUEUE",
          "--queue-num",
          absl::StrCat(queue),
          "--queue-bypass"};
}

// A netlink message under construction: header, nfgenmsg, attributes.
class Message {
 public:
  Message(uint16_t type, uint16_t flags, int queue) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    Append(&h, sizeof h);
    nfgenmsg g{};
    g.nfgen_family = AF_UNSPEC;
    g.version = NFNETLINK_V0;
    g.res_id = htons(static_cast<uint16_t>(queue));
    Append(&g, sizeof g);
  }
  void Attribute(uint16_t type, const void* data, size_t size) {
    nlattr a{};
    a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + size);
    a.nla_type = type;
    Append(&a, sizeof a);
    Append(data, size);
  }
  const std::string& Done() {
    reinterpret_cast<nlmsghdr*>(bytes_.data())->nlmsg_len =
        static_cast<uint32_t>(bytes_.size());
    return bytes_;
  }

 private:
  void Append(const void* data, size_t size) {
    bytes_.append(static_cast<const char*>(data), size);
    bytes_.resize(NLMSG_ALIGN(bytes_.size()), '\0');
  }
  std::string bytes_;
};

constexpr uint16_t kQueueMessage(uint16_t what) {
  return static_cast<uint16_t>((NFNL_SUBSYS_QUEUE << 8) | what);
}

}  // namespace

absl::Status IptablesAvailable() {
  if (!IptablesPath().empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "no iptables-nft program (Debian package iptables; ./bazelw installs "
      "it)");
}

absl::StatusOr<std::unique_ptr<PacketDelayer>> PacketDelayer::Start(
    const std::vector<PacketMatch>& links, uint64_t seed) {
  SALUDO_CHECK(!links.empty());
  if (absl::Status st = IptablesAvailable(); !st.ok()) return st;
  std::unique_ptr<PacketDelayer> d(new PacketDelayer);
  d->fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (d->fd_ < 0 || pipe2(d->wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("netfilter queue socket: ", strerror(errno)));
  }
  // Room for bursts: a held packet costs the kernel, not this buffer.
  const int buffer_bytes = 8 << 20;
  (void)setsockopt(d->fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes,
                   sizeof buffer_bytes);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(d->fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("netfilter queue bind: ", strerror(errno)));
  }
  d->links_ = links;
  for (size_t i = 0; i < links.size(); ++i) {
    const int queue = static_cast<int>(i) + 1;
    if (absl::Status st = d->Bind(queue); !st.ok()) return st;
    {
      runtime::MutexLock lock(&d->mu_);
      Link& link = d->by_queue_[queue];
      link.queue = queue;
      link.random = runtime::Random::ForComponent(
          seed, absl::StrCat("delay ", links[i].Nft()));
    }
    if (absl::Status st = Iptables(QueueRule(links[i], queue)); !st.ok()) {
      return st;
    }
    d->rules_ = queue;  // the destructor removes these, even on failure
  }
  d->thread_ = std::thread([raw = d.get()] { raw->Loop(); });
  return d;
}

// Binds `queue` to this socket: metadata only (no packet bytes), a long
// queue (the kernel's default, 1024 packets, is a second of a busy link).
absl::Status PacketDelayer::Bind(int queue) {
  Message m(kQueueMessage(NFQNL_MSG_CONFIG), NLM_F_REQUEST | NLM_F_ACK, queue);
  nfqnl_msg_config_cmd cmd{};
  cmd.command = NFQNL_CFG_CMD_BIND;
  m.Attribute(NFQA_CFG_CMD, &cmd, sizeof cmd);
  nfqnl_msg_config_params params{};
  params.copy_mode = NFQNL_COPY_META;
  m.Attribute(NFQA_CFG_PARAMS, &params, sizeof params);
  const uint32_t max_len = htonl(65536);
  m.Attribute(NFQA_CFG_QUEUE_MAXLEN, &max_len, sizeof max_len);
  const std::string& bytes = m.Done();
  if (send(fd_, bytes.data(), bytes.size(), 0) < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("netfilter queue ", queue, ": ", strerror(errno)));
  }
  char reply[4096];
  const ssize_t n = recv(fd_, reply, sizeof reply, 0);
  const auto* h = reinterpret_cast<const nlmsghdr*>(reply);
  if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) ||
      h->nlmsg_type != NLMSG_ERROR) {
    return absl::FailedPreconditionError(
        absl::StrCat("netfilter queue ", queue, ": no acknowledgement"));
  }
  const int error = reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
  if (error != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "netfilter queue ", queue, ": ", strerror(-error),
        " (does this kernel have CONFIG_NETFILTER_NETLINK_QUEUE?)"));
  }
  return absl::OkStatus();
}

PacketDelayer::~PacketDelayer() {
  // Rules first, so no packet enters a queue after the last release.
  for (int queue = 1; queue <= rules_; ++queue) {
    std::vector<std::string> rule = QueueRule(links_[queue - 1], queue);
    rule[2] = "-D";
    (void)Iptables(rule);
  }
  if (thread_.joinable()) {
    (void)!write(wake_[1], "x", 1);
    thread_.join();
  }
  for (int fd : {fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void PacketDelayer::SetLatency(const PacketMatch& link,
                               std::optional<sim::Distribution> latency) {
  const auto it = std::find_if(
      links_.begin(), links_.end(),
      [&](const PacketMatch& l) { return !(l < link) && !(link < l); });
  SALUDO_CHECK(it != links_.end());
  runtime::MutexLock lock(&mu_);
  by_queue_.at(static_cast<int>(it - links_.begin()) + 1).latency = latency;
}

PacketDelayer::Stats PacketDelayer::stats() const {
  runtime::MutexLock lock(&mu_);
  return stats_;
}

void PacketDelayer::Loop() {
  for (;;) {
    absl::Duration wait = absl::Milliseconds(100);
    {
      runtime::MutexLock lock(&mu_);
      if (!held_.empty()) {
        wait =
            std::max(absl::ZeroDuration(), held_.front().release - absl::Now());
      }
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const timespec timeout = absl::ToTimespec(wait);
    (void)ppoll(fds, 2, &timeout, nullptr);
    if (fds[1].revents != 0) break;
    if (fds[0].revents != 0) Receive();
    Release(absl::Now());
  }
  Release(absl::InfiniteFuture());  // nothing stays held
}

void PacketDelayer::Receive() {
  alignas(nlmsghdr) char buffer[65536];
  for (;;) {
    const ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && errno == ENOBUFS) {
      // The socket overflowed: the kernel dropped what it could not tell us.
      runtime::MutexLock lock(&mu_);
      ++stats_.overruns;
      continue;
    }
    if (n <= 0) return;
    const absl::Time now = absl::Now();
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != kQueueMessage(NFQNL_MSG_PACKET)) continue;
      const auto* g = static_cast<const nfgenmsg*>(NLMSG_DATA(h));
      const int queue = ntohs(g->res_id);
      int attr_len = static_cast<int>(h->nlmsg_len) -
                     NLMSG_LENGTH(NLMSG_ALIGN(sizeof(nfgenmsg)));
      auto* a =
          reinterpret_cast<nlattr*>(reinterpret_cast<char*>(NLMSG_DATA(h)) +
                                    NLMSG_ALIGN(sizeof(nfgenmsg)));
      for (; attr_len >= static_cast<int>(NLA_HDRLEN) &&
             a->nla_len >= NLA_HDRLEN && a->nla_len <= attr_len;
           attr_len -= NLA_ALIGN(a->nla_len),
           a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(a) +
                                         NLA_ALIGN(a->nla_len))) {
        if ((a->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR) continue;
        nfqnl_msg_packet_hdr ph;
        memcpy(&ph, reinterpret_cast<char*>(a) + NLA_HDRLEN, sizeof ph);
        const uint32_t id = ntohl(ph.packet_id);
        runtime::MutexLock lock(&mu_);
        auto link = by_queue_.find(queue);
        ++stats_.packets;
        if (link == by_queue_.end()) {
          held_.push_back({now, sequence_++, queue, id});
        } else {
          Link& l = link->second;
          const absl::Duration draw = l.latency.has_value()
                                          ? l.latency->Sample(l.random)
                                          : absl::ZeroDuration();
          l.last_release = std::max(l.last_release, now + draw);
          held_.push_back({l.last_release, sequence_++, queue, id});
        }
        std::push_heap(held_.begin(), held_.end(), std::greater<Held>());
        stats_.held_most = std::max<int64_t>(
            stats_.held_most, static_cast<int64_t>(held_.size()));
      }
    }
  }
}

void PacketDelayer::Release(absl::Time now) {
  for (;;) {
    Held next;
    {
      runtime::MutexLock lock(&mu_);
      if (held_.empty() || held_.front().release > now) return;
      std::pop_heap(held_.begin(), held_.end(), std::greater<Held>());
      next = held_.back();
      held_.pop_back();
      if (now != absl::InfiniteFuture()) {
        stats_.late_most = std::max(stats_.late_most, now - next.release);
      }
    }
    Verdict(next.queue, next.packet_id);
  }
}

void PacketDelayer::Verdict(int queue, uint32_t packet_id) {
  Message m(kQueueMessage(NFQNL_MSG_VERDICT), NLM_F_REQUEST, queue);
  nfqnl_msg_verdict_hdr v{};
  v.verdict = htonl(NF_ACCEPT);
  v.id = htonl(packet_id);
  m.Attribute(NFQA_VERDICT_HDR, &v, sizeof v);
  const std::string& bytes = m.Done();
  (void)send(fd_, bytes.data(), bytes.size(), 0);
}

}  // namespace saludo::scenario
