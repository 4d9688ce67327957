#include "bench/raw_socket_pair.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/time/time.h"
#include "bench/socket_pair.h"

namespace hvsock::testing {
namespace {

// The bytes every write() sends; their value does not matter.
const char* WriteBuffer() {
  static char* buffer = [] {
    char* b = new char[RawSocketPair::kMaxWrite];
    std::memset(b, 'r', RawSocketPair::kMaxWrite);
    return b;
  }();
  return buffer;
}

[[noreturn]] void Die(const char* what, int error) {
  std::fprintf(stderr, "raw socket pair: %s: %s\n", what, std::strerror(error));
  std::abort();
}

bool WouldBlock(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

}  // namespace

RawSocketPair::RawSocketPair(EventLoop& loop) : loop_(loop) {
  auto [a, b] = MakeSocketPair();
  a_ = std::move(a);
  b_ = std::move(b);
  auto a_watch = loop_.Watch(a_.get(), Readiness::kNone,
                             [this](Readiness ready) { OnA(ready); });
  auto b_watch = loop_.Watch(b_.get(), Readiness::kNone,
                             [this](Readiness ready) { OnB(ready); });
  if (!a_watch.ok() || !b_watch.ok()) Die("epoll watch", EINVAL);
  a_watch_ = *a_watch;
  b_watch_ = *b_watch;
}

RawSocketPair::~RawSocketPair() {
  a_watch_->Release();
  b_watch_->Release();
}

void RawSocketPair::StartStream(size_t total, size_t write_size) {
  mode_ = Mode::kStream;
  write_size_ = std::min(write_size, kMaxWrite);
  to_write_ = total;
  received_ = 0;
  target_ = total;
  a_watch_->SetInterest(Readiness::kWritable).IgnoreError();
  b_watch_->SetInterest(Readiness::kReadable).IgnoreError();
}

void RawSocketPair::Stream(size_t total, size_t write_size) {
  StartStream(total, write_size);
  RunUntilDone();
}

void RawSocketPair::PingPong() {
  if (mode_ != Mode::kPingPong) {
    mode_ = Mode::kPingPong;
    a_watch_->SetInterest(Readiness::kReadable).IgnoreError();
    b_watch_->SetInterest(Readiness::kReadable).IgnoreError();
  }
  received_ = 0;
  target_ = 1;
  if (::write(a_.get(), "p", 1) != 1) Die("ping write", errno);
  RunUntilDone();
}

void RawSocketPair::RunUntilDone() {
  absl::Status status =
      loop_.RunUntil([this] { return done(); }, absl::Seconds(60));
  if (!status.ok()) {
    std::fprintf(stderr, "raw socket pair: %s\n", status.ToString().c_str());
    std::abort();
  }
}

void RawSocketPair::OnA(Readiness ready) {
  if (Any(ready & Readiness::kError)) Die("end A", ECONNRESET);
  if (mode_ == Mode::kStream) {
    while (to_write_ > 0) {
      size_t n = std::min<uint64_t>(write_size_, to_write_);
      ssize_t sent = ::write(a_.get(), WriteBuffer(), n);
      if (sent < 0) {
        if (WouldBlock(errno)) return;
        if (errno == EINTR) continue;
        Die("write", errno);
      }
      to_write_ -= static_cast<size_t>(sent);
    }
    a_watch_->SetInterest(Readiness::kNone).IgnoreError();
    return;
  }
  // Ping-pong: the echo came back.
  char byte;
  while (true) {
    ssize_t n = ::read(a_.get(), &byte, 1);
    if (n > 0) {
      received_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && WouldBlock(errno)) return;
    Die("ping read", n == 0 ? EPIPE : errno);
  }
}

void RawSocketPair::OnB(Readiness ready) {
  if (Any(ready & Readiness::kError)) Die("end B", ECONNRESET);
  static char buffer[kMaxWrite];
  while (true) {
    ssize_t n = ::read(b_.get(), buffer, sizeof(buffer));
    if (n > 0) {
      if (mode_ == Mode::kStream) {
        received_ += static_cast<size_t>(n);
      } else if (::write(b_.get(), buffer, static_cast<size_t>(n)) != n) {
        Die("pong write", errno);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && WouldBlock(errno)) return;
    Die("read", n == 0 ? EPIPE : errno);
  }
}

}  // namespace hvsock::testing
