#include "tools/hvstress/echo_server_thread.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "backends/posix/socket_address.h"

namespace hvsock::hvstress {

absl::StatusOr<std::unique_ptr<EchoServerThread>> EchoServerThread::Start(
    const Address& address, const FlowOptions& flow_options) {
  std::unique_ptr<EchoServerThread> self(new EchoServerThread());
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return loop.status();
  self->loop_ = *std::move(loop);
  absl::StatusOr<std::unique_ptr<EchoServer>> server =
      EchoServer::Start(*self->loop_, address, flow_options);
  if (!server.ok()) return server.status();
  self->server_ = *std::move(server);
  self->wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!self->wake_.valid()) return PosixError(errno, "eventfd");
  EventLoop* raw_loop = self->loop_.get();
  absl::StatusOr<FdWatch*> watch =
      self->loop_->Watch(self->wake_.get(), Readiness::kReadable,
                         [raw_loop](Readiness) { raw_loop->Stop(); });
  if (!watch.ok()) return watch.status();
  EchoServerThread* raw = self.get();
  self->thread_ = std::thread([raw] { raw->loop_status_ = raw->loop_->Run(); });
  return self;
}

absl::Status EchoServerThread::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_.get(), &one, sizeof(one));
    (void)ignored;
    thread_.join();
  }
  return loop_status_;
}

EchoServerThread::~EchoServerThread() {
  Stop().IgnoreError();
  server_.reset();  // releases its flows while the loop still exists
  loop_.reset();
}

}  // namespace hvsock::hvstress
