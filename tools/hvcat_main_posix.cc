// hvcat for Linux: netcat for hypervisor sockets on the epoll loop
// (backends/posix), and the project's end-to-end check. URIs: vsock://,
// unix://, hybrid-vsock://, hyperkit:// (tools/posix_endpoint.h). See
// backends/posix/README.md; the copy itself is hvcat_copy.h.
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
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_connection.h"
#include "backends/posix/hybrid_connector.h"
#include "backends/posix/hybrid_listener.h"
#include "backends/posix/listener.h"
#include "backends/uri.h"
#include "backends/uri_address.h"
#include "core/flow.h"
#include "tools/hvcat_command_line.h"
#include "tools/hvcat_copy.h"
#include "tools/hvcat_exit.h"
#include "tools/hvcat_std_streams_posix.h"
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
absl::StatusOr<UniqueFd> AcceptOne(const tools::PosixEndpoint& endpoint,
                                   tools::InterruptSignals* interrupts,
                                   int* interrupted) {
  ListenOptions options;
  options.backlog = 1;
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      std::holds_alternative<Address>(endpoint)
          ? Listener::Listen(std::get<Address>(endpoint), std::move(options))
          : ListenVmm(std::get<VmmSocketAddress>(endpoint));
  if (!listener.ok()) return listener.status();
  const auto* address = std::get_if<Address>(&endpoint);
  if (const auto* vsock =
          address != nullptr ? std::get_if<VsockAddress>(address) : nullptr;
      vsock != nullptr && vsock->port == VsockAddress::kPortAny) {
    Complain(absl::StrCat("listening on ",
                          FormatAddressUri((*listener)->local_address())));
  }
  while (true) {
    pollfd pfds[2] = {{(*listener)->fd(), POLLIN, 0},
                      {interrupts != nullptr ? interrupts->fd() : -1, POLLIN,
                       0}};
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

int Main(int argc, char** argv) {
  absl::StatusOr<std::optional<CommandLine>> parsed =
      ParseCommandLine(argc, argv);
  absl::StatusOr<tools::PosixEndpoint> address =
      parsed.ok() && parsed->has_value()
          ? tools::ParsePosixEndpoint((*parsed)->uri, "hvcat")
          : absl::StatusOr<tools::PosixEndpoint>(Address{});
  if (!parsed.ok() || !address.ok()) {
    const absl::Status& problem =
        parsed.ok() ? address.status() : parsed.status();
    Complain(absl::StrCat(problem.message(), " (hvcat --help)"));
    return kExitUsage;
  }
  if (!parsed->has_value()) {
    std::string usage = Usage(kUsageDetails);
    ssize_t ignored = ::write(STDOUT_FILENO, usage.data(), usage.size());
    (void)ignored;
    return kExitOk;
  }
  const CommandLine& config = **parsed;
  ::signal(SIGPIPE, SIG_IGN);  // EPIPE instead, reported as an error

  FlowOptions flow_options;
  flow_options.codec =
      config.codec.value_or(tools::DefaultCodecFor(*address));
  flow_options.close_timeout = config.close_timeout;

  // The transport (for hybrid vsock and hyperkit, after the VMM's
  // handshake).
  absl::StatusOr<VmmConnection> connection;
  ConnectOptions connect;
  connect.timeout = config.connect_timeout;
  connect.retry_refused = config.retry;
  if (config.listen) {
    // Blocked before the socket file exists, unblocked once it is gone.
    absl::StatusOr<std::unique_ptr<tools::InterruptSignals>> interrupts =
        tools::InterruptSignals::Block();
    int interrupted = 0;
    absl::StatusOr<UniqueFd> fd = AcceptOne(
        *address, interrupts.ok() ? interrupts->get() : nullptr, &interrupted);
    if (interrupted != 0) tools::DieBySignal(interrupted);
    if (fd.ok()) connection = VmmConnection{*std::move(fd), ""};
    else connection = fd.status();
  } else if (const auto* vmm = std::get_if<VmmSocketAddress>(&*address)) {
    connection = ConnectVmm(*vmm, connect);
  } else {
    absl::StatusOr<UniqueFd> fd = Connect(std::get<Address>(*address), connect);
    if (fd.ok()) connection = VmmConnection{*std::move(fd), ""};
    else connection = fd.status();
  }
  if (!connection.ok()) {
    Complain(connection.status().message());
    return kExitNoConnection;
  }

  StdStream in(STDIN_FILENO, /*output=*/false);
  StdStream out(STDOUT_FILENO, /*output=*/true);
  for (StdStream* stream : {&in, &out}) {
    if (absl::Status status = stream->Prepare(); !status.ok()) {
      Complain(status.message());
      return kExitFlowFailed;
    }
  }
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    Complain(loop.status().message());
    return kExitFlowFailed;
  }
  absl::StatusOr<LoopFlow*> flow = (*loop)->AddFlow(
      std::move(connection->fd), flow_options, [](FlowHandle&, FlowEvent) {});
  if (!flow.ok()) {
    Complain(flow.status().message());
    return kExitFlowFailed;
  }
  DriverCopyFlow<LoopFlow> copy_flow(**flow);
  PosixStdInput input(**loop, in);
  PosixStdOutput output(**loop, out);
  EventLoop& event_loop = **loop;
  Copier copier(copy_flow, input, output, [&](absl::Duration max_wait) {
    return event_loop.RunOnce(max_wait);
  });
  return copier.Run();
}

}  // namespace
}  // namespace hvsock::hvcat

int main(int argc, char** argv) { return hvsock::hvcat::Main(argc, argv); }
