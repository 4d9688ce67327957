// hvcat for Windows: netcat for Hyper-V sockets on a completion port
// (backends/winsock). URIs: hvsock://VMID/SERVICEID, and tcp://127.0.0.1:PORT
// in builds made for tests (HVSOCK_HVCAT_TCP_FOR_TESTS; CMake option
// HVSOCK_HVCAT_TCP). The copy itself is hvcat_copy.h; the standard streams
// are hvcat_std_streams_windows.h.

// winsock2.h must come before windows.h.
#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/uri.h"
#include "backends/uri_address.h"
#include "backends/winsock/hvsock_uri.h"
#include "backends/winsock/winsock_connector.h"
#include "backends/winsock/winsock_error.h"
#include "backends/winsock/winsock_flow.h"
#include "backends/winsock/winsock_iocp_loop.h"
#include "backends/winsock/winsock_listener.h"
#include "core/flow.h"
#include "tools/hvcat/command_line.h"
#include "tools/hvcat/copier.h"
#include "tools/hvcat/exit.h"
#include "tools/hvcat/std_streams_windows.h"

namespace hvsock::hvcat {
namespace {

#ifdef HVSOCK_HVCAT_TCP_FOR_TESTS
constexpr bool kTcpForTests = true;
#else
constexpr bool kTcpForTests = false;
#endif

constexpr UsageDetails kUsageDetails = {
    kTcpForTests
        ? "URIs:  hvsock://VMID/SERVICEID   VMID: a GUID or wildcard, children,"
          " loopback,\n"
          "         parent, silohost, broadcast; SERVICEID: a GUID or a port "
          "number\n"
          "       tcp://127.0.0.1:PORT      for tests only (PORT 0 with -l: "
          "any free port)\n"
        : "URIs:  hvsock://VMID/SERVICEID   VMID: a GUID or wildcard, children,"
          " loopback,\n"
          "         parent, silohost, broadcast; SERVICEID: a GUID or a port "
          "number\n",
    "framed for hvsock://, native for tcp://"};

struct Endpoint {
  SocketAddress address;
  Codec default_codec = Codec::kNative;
  bool any_port = false;  // tcp port 0: the listener picks one
};

// The address `uri` names, if hvcat.exe can use it: hvsock://, and tcp://
// (loopback only) in builds for tests.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view uri) {
  absl::StatusOr<UriAddress> address = ParseUri(uri);
  if (!address.ok()) return address.status();
  if (const auto* hv = std::get_if<HvSocketAddress>(&*address)) {
    return Endpoint{SocketAddress::HyperV(*hv), kHvsockDefaultCodec, false};
  }
  if (const auto* tcp = std::get_if<TcpLoopbackAddress>(&*address)) {
    if (!kTcpForTests) {
      return UriError(uri, 1,
                      "tcp:// is for tests only and this hvcat was built "
                      "without it (expected hvsock://VMID/SERVICEID)");
    }
    return Endpoint{SocketAddress::Ipv4Loopback(tcp->port), Codec::kNative,
                    tcp->port == 0};
  }
  return UriError(uri, 1,
                  absl::StrCat(UriScheme(*address),
                               ":// addresses are Linux's; hvcat.exe takes "
                               "hvsock://VMID/SERVICEID"));
}

absl::StatusOr<UniqueSocket> AcceptOne(IocpLoop& loop,
                                       const Endpoint& endpoint) {
  std::optional<absl::StatusOr<AcceptedConnection>> accepted;
  WinsockListenerOptions options;
  options.backlog = 1;
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(loop, endpoint.address, std::move(options),
                              [&](absl::StatusOr<AcceptedConnection> c) {
                                if (!accepted.has_value()) {
                                  accepted = std::move(c);
                                }
                              });
  if (!listener.ok()) return listener.status();
  if (endpoint.any_port) {
    Complain(
        absl::StrCat("listening on ", (*listener)->local_address().ToString()));
  }
  loop.RunUntil([&] { return accepted.has_value(); }, absl::InfiniteDuration()).IgnoreError();
  if (!accepted->ok()) return accepted->status();
  return std::move((*accepted)->socket);
}

absl::StatusOr<UniqueSocket> ConnectOne(IocpLoop& loop,
                                        const Endpoint& endpoint,
                                        const CommandLine& config) {
  std::optional<absl::StatusOr<UniqueSocket>> connected;
  ConnectOptions options;
  options.timeout = config.connect_timeout;
  options.retry_refused = config.retry;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          loop, endpoint.address, options,
          [&](absl::StatusOr<UniqueSocket> s) { connected = std::move(s); });
  if (!connector.ok()) return connector.status();
  // The connector ends by itself at the connect timeout.
  if (absl::Status ran = loop.RunUntil([&] { return connected.has_value(); });
      !ran.ok()) {
    return ran;
  }
  return *std::move(connected);
}

// Writes to standard output directly (the copy has not started).
void PrintUsage() {
  std::string usage = Usage(kUsageDetails);
  DWORD put = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), usage.data(),
            static_cast<DWORD>(usage.size()), &put, nullptr);
}

int Main(int argc, char** argv) {
  _setmode(_fileno(stderr), _O_BINARY);  // "\n", not "\r\n"
  absl::StatusOr<std::optional<CommandLine>> parsed =
      ParseCommandLine(argc, argv);
  absl::StatusOr<Endpoint> endpoint =
      parsed.ok() && parsed->has_value() ? ParseEndpoint((*parsed)->uri)
                                         : absl::StatusOr<Endpoint>(Endpoint{});
  if (!parsed.ok() || !endpoint.ok()) {
    const absl::Status& problem =
        parsed.ok() ? endpoint.status() : parsed.status();
    Complain(absl::StrCat(problem.message(), " (hvcat --help)"));
    return kExitUsage;
  }
  if (!parsed->has_value()) {
    PrintUsage();
    return kExitOk;
  }
  const CommandLine& config = **parsed;

  FlowOptions flow_options;
  flow_options.codec = config.codec.value_or(endpoint->default_codec);
  flow_options.close_timeout = config.close_timeout;

  absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
  if (!loop.ok()) {
    Complain(loop.status().message());
    return kExitFlowFailed;
  }
  absl::StatusOr<UniqueSocket> socket =
      config.listen ? AcceptOne(**loop, *endpoint)
                    : ConnectOne(**loop, *endpoint, config);
  if (!socket.ok()) {
    Complain(socket.status().message());
    return kExitNoConnection;
  }
  absl::StatusOr<std::unique_ptr<WinsockFlow>> flow =
      WinsockFlow::Create(**loop, *std::move(socket), flow_options);
  if (!flow.ok()) {
    Complain(flow.status().message());
    return kExitFlowFailed;
  }
  IocpLoop& iocp = **loop;
  auto wake = [&iocp] { iocp.Wake(); };
  absl::StatusOr<std::unique_ptr<ThreadedStdOutput>> output =
      ThreadedStdOutput::Start(GetStdHandle(STD_OUTPUT_HANDLE), wake);
  if (!output.ok()) {
    Complain(output.status().message());
    return kExitFlowFailed;
  }
  ThreadedStdInput input(GetStdHandle(STD_INPUT_HANDLE), kChunk, wake);
  DriverCopyFlow<WinsockFlow> copy_flow(**flow);
  Copier copier(copy_flow, input, **output, [&](absl::Duration max_wait) {
    return iocp.RunOnce(max_wait);
  });
  return copier.Run();
}

}  // namespace
}  // namespace hvsock::hvcat

int main(int argc, char** argv) { return hvsock::hvcat::Main(argc, argv); }
