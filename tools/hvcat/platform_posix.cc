// hvcat's Linux hooks (platform.h): the epoll loop and LoopFlow
// (backends/posix); URIs vsock://, unix://, hybrid-vsock://, hyperkit://
// (tools/posix_endpoint.h); non-blocking standard streams on the loop.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/default_codec.h"
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_connection.h"
#include "backends/posix/hybrid_connector.h"
#include "backends/posix/hybrid_listener.h"
#include "backends/posix/listener.h"
#include "backends/posix/posix_address.h"
#include "backends/uri.h"
#include "core/flow.h"
#include "tools/hvcat/command_line.h"
#include "tools/hvcat/copier.h"
#include "tools/hvcat/exit.h"
#include "tools/hvcat/platform.h"
#include "tools/hvcat/std_streams_posix.h"
#include "tools/interrupt_signals.h"
#include "tools/posix_endpoint.h"

namespace hvsock::hvcat {
namespace {

constexpr UsageDetails kUsageDetails = {tools::kPosixUriForms,
                                        tools::kPosixDefaultProtocol};

// Listens on `endpoint` and accepts one connection. A SIGINT, SIGTERM or
// SIGHUP while waiting (`interrupts`) ends the wait: the listener, and with
// it its socket file, is gone when this returns, and `*interrupted` says
// which signal came.
absl::StatusOr<UniqueFd> AcceptOne(const Address& endpoint,
                                   tools::InterruptSignals* interrupts,
                                   int* interrupted) {
  ListenOptions options;
  options.backlog = 1;
  std::optional<VmmSocketAddress> vmm = AsVmmSocketAddress(endpoint);
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      vmm.has_value() ? ListenVmm(*vmm)
                      : Listener::Listen(endpoint, std::move(options));
  if (!listener.ok()) return listener.status();
  if (const auto* vsock = std::get_if<VsockAddress>(&endpoint);
      vsock != nullptr && vsock->port == VsockAddress::kPortAny) {
    Complain(absl::StrCat("listening on ",
                          FormatAddressUri((*listener)->local_address())));
  }
  while (true) {
    pollfd pfds[2] = {
        {(*listener)->fd(), POLLIN, 0},
        {interrupts != nullptr ? interrupts->fd() : -1, POLLIN, 0}};
    if (::poll(pfds, 2, -1) < 0 && errno != EINTR) {
      return absl::ErrnoToStatus(errno, "poll");
    }
    if (interrupts != nullptr) {
      if (std::optional<int> signal = interrupts->Take()) {
        *interrupted = *signal;
        return absl::CancelledError(
            absl::StrCat("interrupted by ", strsignal(*signal),
                         " while waiting for a connection"));
      }
    }
    absl::StatusOr<std::optional<AcceptedConnection>> accepted =
        (*listener)->Accept();
    if (!accepted.ok()) return accepted.status();
    if (accepted->has_value()) return std::move((*accepted)->fd);
  }
}

class PosixPlatform : public Platform {
 public:
  PosixPlatform() {
    ::signal(SIGPIPE, SIG_IGN);  // EPIPE instead, reported as an error
  }

  UsageDetails usage_details() const override { return kUsageDetails; }
  void PrintUsage(absl::string_view text) override {
    ssize_t ignored = ::write(STDOUT_FILENO, text.data(), text.size());
    (void)ignored;
  }

  absl::Status Resolve(const CommandLine& config) override {
    absl::StatusOr<Address> endpoint = tools::ParsePosixEndpoint(config.uri);
    if (!endpoint.ok()) return endpoint.status();
    endpoint_ = *std::move(endpoint);
    return absl::OkStatus();
  }
  Codec default_codec() const override { return DefaultCodecFor(endpoint_); }

  // The transport (for hybrid vsock and hyperkit, after the VMM's
  // handshake).
  absl::Status Open(const CommandLine& config) override {
    ConnectOptions connect;
    connect.timeout = config.connect_timeout;
    connect.retry_refused = config.retry;
    absl::StatusOr<UniqueFd> fd;
    if (config.listen) {
      // Blocked before the socket file exists, unblocked once it is gone.
      absl::StatusOr<std::unique_ptr<tools::InterruptSignals>> interrupts =
          tools::InterruptSignals::Block();
      int interrupted = 0;
      fd = AcceptOne(endpoint_, interrupts.ok() ? interrupts->get() : nullptr,
                     &interrupted);
      if (interrupted != 0) tools::DieBySignal(interrupted);
    } else if (std::optional<VmmSocketAddress> vmm =
                   AsVmmSocketAddress(endpoint_)) {
      absl::StatusOr<VmmConnection> connection = ConnectVmm(*vmm, connect);
      if (!connection.ok()) return connection.status();
      fd = std::move(connection->fd);
    } else {
      fd = Connect(endpoint_, connect);
    }
    if (!fd.ok()) return fd.status();
    transport_ = *std::move(fd);
    return absl::OkStatus();
  }

  absl::StatusOr<FlowHandle*> StartFlow(const FlowOptions& options) override {
    for (StdStream* stream : {&in_, &out_}) {
      if (absl::Status status = stream->Prepare(); !status.ok()) return status;
    }
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    if (!loop.ok()) return loop.status();
    loop_ = *std::move(loop);
    // The copy polls the flow after every pass: no callback needed.
    absl::StatusOr<LoopFlow*> flow = loop_->AddFlow(
        std::move(transport_), options, [](FlowHandle&, FlowEvent) {});
    if (!flow.ok()) return flow.status();
    input_ = std::make_unique<PosixStdInput>(*loop_, in_);
    output_ = std::make_unique<PosixStdOutput>(*loop_, out_);
    return *flow;
  }

  Loop& loop() override { return *loop_; }
  InputStream& input() override { return *input_; }
  OutputStream& output() override { return *output_; }

 private:
  Address endpoint_;
  UniqueFd transport_;
  StdStream in_{STDIN_FILENO, /*output=*/false};
  StdStream out_{STDOUT_FILENO, /*output=*/true};
  // Destroyed first: the streams' watches and the flow before the loop.
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<PosixStdInput> input_;
  std::unique_ptr<PosixStdOutput> output_;
};

}  // namespace

std::unique_ptr<Platform> MakePlatform() {
  return std::make_unique<PosixPlatform>();
}

}  // namespace hvsock::hvcat
