#include "testing/fake_vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace hvsock::testing {
namespace {

// Firecracker reads at most 32 bytes of CONNECT line.
constexpr size_t kMaxRequestLine = 32;
constexpr size_t kHyperkitRequest = 18;
constexpr size_t kPumpChunk = 64 * 1024;

absl::StatusOr<sockaddr_un> UnixSockaddr(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// A blocking connect to a Unix socket, then non-blocking.
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  absl::StatusOr<sockaddr_un> addr = UnixSockaddr(path);
  if (!addr.ok()) return addr.status();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr),
                sizeof(*addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("connect ", path));
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  return fd;
}

// Firecracker's parser: whitespace-separated words, the first
// case-insensitively "connect", the second a decimal u32.
bool ParseConnectLine(absl::string_view line, uint32_t* port) {
  std::vector<absl::string_view> words =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  return words.size() >= 2 && absl::AsciiStrToLower(words[0]) == "connect" &&
         !words[1].empty() &&
         std::isdigit(static_cast<unsigned char>(words[1][0])) &&
         absl::SimpleAtoi(words[1], port);
}

}  // namespace

struct FakeVmm::Bridge {
  enum class Phase { kRequest, kSilent, kAwaitGuestData, kBridging };
  Phase phase = Phase::kRequest;
  UniqueFd host;
  UniqueFd guest;
  std::string request;
  std::string ok_line;
  std::string to_guest;
  std::string to_host;
  bool host_done = false;     // read() from the host returned 0
  bool guest_done = false;    // read() from the guest returned 0
  bool guest_shut = false;    // we ended our writes to the guest
  bool host_shut = false;     // we ended our writes to the host
  bool local_closed = false;  // Firecracker: the host ended; guest data dropped
  bool guest_gone = false;    // the guest closed fully
  bool failed = false;        // an error or a drop: close both at once
};

FakeVmm::FakeVmm(Options options) : options_(std::move(options)) {}

std::string FakeVmm::GuestPortPath(const std::string& guest_dir,
                                   uint32_t port) {
  return absl::StrCat(guest_dir, "/guest_", port);
}

std::string FakeVmm::HostListenPath(uint32_t port) const {
  if (options_.layout == Layout::kHybridVsock) {
    return absl::StrCat(options_.path, "_", port);
  }
  return absl::StrFormat("%s/00000002.%08x", options_.path, port);
}

absl::StatusOr<std::unique_ptr<FakeVmm>> FakeVmm::Start(Options options) {
  std::unique_ptr<FakeVmm> vmm(new FakeVmm(std::move(options)));
  std::string listen_path = vmm->options_.layout == Layout::kHybridVsock
                                ? vmm->options_.path
                                : absl::StrCat(vmm->options_.path, "/connect");
  absl::StatusOr<sockaddr_un> addr = UnixSockaddr(listen_path);
  if (!addr.ok()) return addr.status();
  vmm->listener_.reset(
      ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  // Like Firecracker: no unlink of an existing file first.
  if (::bind(vmm->listener_.get(), reinterpret_cast<const sockaddr*>(&*addr),
             sizeof(*addr)) != 0 ||
      ::listen(vmm->listener_.get(), 4096) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listen ", listen_path));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  vmm->wake_read_.reset(pipe_fds[0]);
  vmm->wake_write_.reset(pipe_fds[1]);
  vmm->thread_ = std::thread([raw = vmm.get()] { raw->Run(); });
  return vmm;
}

FakeVmm::~FakeVmm() {
  stop_ = true;
  char byte = 0;
  ssize_t ignored = ::write(wake_write_.get(), &byte, 1);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  std::string listen_path = options_.layout == Layout::kHybridVsock
                                ? options_.path
                                : absl::StrCat(options_.path, "/connect");
  ::unlink(listen_path.c_str());
}

FakeVmm::Stats FakeVmm::stats() const {
  return Stats{accepted_.load(), refused_.load(), dropped_.load(),
               answered_.load()};
}

absl::StatusOr<UniqueFd> FakeVmm::GuestConnect(uint32_t host_port) {
  absl::StatusOr<UniqueFd> host = ConnectUnix(HostListenPath(host_port));
  if (!host.ok()) return host.status();
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return absl::ErrnoToStatus(errno, "socketpair");
  }
  UniqueFd guest_end(pair[0]);
  auto bridge = std::make_unique<Bridge>();
  bridge->phase = Bridge::Phase::kBridging;
  bridge->host = *std::move(host);
  bridge->guest.reset(pair[1]);
  ::fcntl(pair[1], F_SETFL, ::fcntl(pair[1], F_GETFL) | O_NONBLOCK);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming_.push_back(std::move(bridge));
  }
  char byte = 0;
  ssize_t ignored = ::write(wake_write_.get(), &byte, 1);
  (void)ignored;
  return guest_end;
}

void FakeVmm::Run() {
  std::vector<pollfd> fds;
  while (!stop_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& bridge : incoming_) bridges_.push_back(std::move(bridge));
      incoming_.clear();
    }
    fds.clear();
    fds.push_back({wake_read_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    for (const auto& b : bridges_) {
      short host_events = 0;
      short guest_events = 0;
      bool reading = b->phase == Bridge::Phase::kRequest ||
                     b->phase == Bridge::Phase::kSilent ||
                     (b->phase == Bridge::Phase::kBridging && !b->host_done &&
                      b->to_guest.empty());
      if (reading) host_events |= POLLIN;
      if (!b->to_host.empty()) host_events |= POLLOUT;
      if (b->guest.valid()) {
        if ((b->phase == Bridge::Phase::kAwaitGuestData ||
             b->phase == Bridge::Phase::kBridging) &&
            !b->guest_done && b->to_host.empty()) {
          guest_events |= POLLIN;
        }
        if (!b->to_guest.empty()) guest_events |= POLLOUT;
      }
      // Stop watching an end that has nothing more to say, or its hang-up
      // would wake the loop for nothing; Firecracker's semantics wait for
      // the guest's hang-up after its end of writes.
      const bool waiting_for_guest_hangup =
          options_.close == CloseSemantics::kFirecracker && b->guest_done &&
          !b->guest_gone;
      int host_fd = host_events == 0 && b->host_done ? -1 : b->host.get();
      int guest_fd = !b->guest.valid() || (guest_events == 0 && b->guest_done &&
                                           !waiting_for_guest_hangup)
                         ? -1
                         : b->guest.get();
      fds.push_back({host_fd, host_events, 0});
      fds.push_back({guest_fd, guest_events, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (::read(wake_read_.get(), drain, sizeof(drain)) > 0) {
      }
    }
    const size_t existing = bridges_.size();
    if (fds[1].revents & POLLIN) Accept();
    for (size_t i = 0; i < existing; ++i) {
      Bridge& b = *bridges_[i];
      short host_events = fds[2 + 2 * i].revents;
      short guest_events = fds[3 + 2 * i].revents;
      if (b.phase == Bridge::Phase::kRequest && (host_events != 0)) {
        ReadRequest(b);
      } else if (b.phase == Bridge::Phase::kSilent && host_events != 0) {
        char sink[4096];
        ssize_t n = ::read(b.host.get(), sink, sizeof(sink));
        if (n == 0 || (n < 0 && errno != EAGAIN)) b.failed = true;
      } else if (b.phase != Bridge::Phase::kRequest &&
                 b.phase != Bridge::Phase::kSilent) {
        Pump(b, host_events, guest_events);
      }
    }
    std::erase_if(bridges_, [this](const std::unique_ptr<Bridge>& b) {
      return Finished(*b);
    });
  }
}

void FakeVmm::Accept() {
  while (true) {
    int fd = ::accept4(listener_.get(), nullptr, nullptr,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    ++accepted_;
    auto bridge = std::make_unique<Bridge>();
    bridge->host.reset(fd);
    bridges_.push_back(std::move(bridge));
  }
}

void FakeVmm::ReadRequest(Bridge& b) {
  if (options_.layout == Layout::kHyperkit) {
    // hyperkit: one read of 18 bytes; anything else is dropped.
    char buffer[kHyperkitRequest];
    ssize_t n = ::read(b.host.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EAGAIN) return;
    unsigned cid = 0;
    unsigned port = 0;
    char newline = 0;
    if (n != static_cast<ssize_t>(kHyperkitRequest) || buffer[17] != '\n' ||
        std::sscanf(std::string(buffer, 17).c_str(), "%8x.%8x%c", &cid, &port,
                    &newline) != 2 ||
        cid != options_.guest_cid) {
      ++dropped_;
      b.failed = true;
      return;
    }
    Answer(b, port);
    return;
  }
  // Hybrid vsock: read up to the '\n', never past it.
  char peek[kMaxRequestLine];
  ssize_t n =
      ::recv(b.host.get(), peek, kMaxRequestLine - b.request.size(), MSG_PEEK);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    ++dropped_;
    b.failed = true;
    return;
  }
  const void* newline = std::memchr(peek, '\n', static_cast<size_t>(n));
  size_t take =
      newline != nullptr
          ? static_cast<size_t>(static_cast<const char*>(newline) - peek) + 1
          : static_cast<size_t>(n);
  if (newline == nullptr && options_.partial_line == PartialLine::kDrop) {
    ++dropped_;  // Firecracker: the whole line must be there at once
    b.failed = true;
    return;
  }
  ssize_t got = ::read(b.host.get(), peek, take);
  if (got != static_cast<ssize_t>(take)) {
    b.failed = true;
    return;
  }
  b.request.append(peek, take);
  if (newline == nullptr) {
    if (b.request.size() >= kMaxRequestLine) {
      ++dropped_;
      b.failed = true;
    }
    return;
  }
  uint32_t port = 0;
  if (!ParseConnectLine(b.request, &port)) {
    ++dropped_;
    b.failed = true;
    return;
  }
  if (options_.discard_after_request) {
    char sink[8192];  // vhost-device-vsock's dropped BufReader
    while (::recv(b.host.get(), sink, sizeof(sink), MSG_DONTWAIT) > 0) {
    }
  }
  Answer(b, port);
}

void FakeVmm::Answer(Bridge& b, uint32_t port) {
  if (options_.never_answer) {
    b.phase = Bridge::Phase::kSilent;
    return;
  }
  absl::StatusOr<UniqueFd> guest =
      options_.refuse_all
          ? absl::UnavailableError("refusing")
          : ConnectUnix(GuestPortPath(options_.guest_dir, port));
  if (!guest.ok()) {
    ++refused_;  // the guest answered RST: close with no bytes
    b.failed = true;
    return;
  }
  ++answered_;
  b.guest = *std::move(guest);
  if (options_.layout == Layout::kHybridVsock) {
    uint64_t number = port;
    if (options_.reply_number == ReplyNumber::kFirecracker) {
      number = next_local_port_++;
    }
    b.ok_line = options_.reply_override.empty()
                    ? absl::StrCat("OK ", number, "\n")
                    : options_.reply_override;
  }
  if (options_.ok_with_guest_data && !b.ok_line.empty()) {
    b.phase = Bridge::Phase::kAwaitGuestData;
  } else {
    b.to_host = std::move(b.ok_line);
    b.phase = Bridge::Phase::kBridging;
  }
}

void FakeVmm::Pump(Bridge& b, short host_events, short guest_events) {
  const bool firecracker = options_.close == CloseSemantics::kFirecracker;
  // Guest → host.
  if (guest_events & (POLLIN | POLLHUP | POLLERR)) {
    char buffer[kPumpChunk];
    ssize_t n = ::read(b.guest.get(), buffer, sizeof(buffer));
    if (n > 0) {
      if (!b.local_closed) b.to_host.append(buffer, static_cast<size_t>(n));
      if (b.phase == Bridge::Phase::kAwaitGuestData) {
        b.to_host.insert(0, b.ok_line);  // OK and data in one segment
        b.phase = Bridge::Phase::kBridging;
      }
    } else if (n == 0) {
      b.guest_done = true;
      if (b.phase == Bridge::Phase::kAwaitGuestData) {
        b.to_host = b.ok_line;
        b.phase = Bridge::Phase::kBridging;
      }
      // Firecracker: an end of writes alone is invisible; a full close
      // (both ways shut, POLLHUP) or one after our full shutdown ends it.
      if (!firecracker || b.local_closed || (guest_events & POLLHUP)) {
        b.guest_gone = firecracker;
      }
    } else if (errno != EAGAIN && errno != EINTR) {
      b.failed = true;
      return;
    }
  } else if (firecracker && b.guest_done && (guest_events & POLLHUP)) {
    b.guest_gone = true;  // the guest closed fully after its end of writes
  }
  // Host → guest.
  if (host_events & (POLLIN | POLLHUP | POLLERR)) {
    if (!b.host_done && b.to_guest.empty()) {
      char buffer[kPumpChunk];
      ssize_t n = ::read(b.host.get(), buffer, sizeof(buffer));
      if (n > 0) {
        b.to_guest.append(buffer, static_cast<size_t>(n));
      } else if (n == 0) {
        b.host_done = true;
        if (firecracker) b.local_closed = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        b.failed = true;
        return;
      }
    }
  }
  // Writes, as far as the sockets take them.
  auto flush = [&b](UniqueFd& fd, std::string& pending) {
    while (!pending.empty()) {
      ssize_t n = ::send(fd.get(), pending.data(), pending.size(),
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        pending.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
      } else {
        b.failed = true;
        return;
      }
    }
  };
  if (b.guest.valid()) flush(b.guest, b.to_guest);
  if (b.phase == Bridge::Phase::kBridging) flush(b.host, b.to_host);
  if (b.local_closed) b.to_host.clear();
  // Ends of writes.
  if (b.host_done && b.to_guest.empty() && !b.guest_shut && b.guest.valid()) {
    ::shutdown(b.guest.get(), SHUT_WR);
    b.guest_shut = true;
  }
  if (!firecracker && b.guest_done && b.to_host.empty() && !b.host_shut) {
    ::shutdown(b.host.get(), SHUT_WR);
    b.host_shut = true;
  }
}

bool FakeVmm::Finished(const Bridge& b) const {
  if (b.failed) return true;
  if (b.phase != Bridge::Phase::kBridging) return false;
  if (options_.close == CloseSemantics::kFirecracker) {
    // The guest is gone: what it wrote has reached the host (or was
    // dropped after the host's end); the host's stream is dropped.
    return b.guest_gone && b.to_host.empty();
  }
  return b.host_done && b.guest_done && b.to_host.empty() && b.to_guest.empty();
}

}  // namespace hvsock::testing
