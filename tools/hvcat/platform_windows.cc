// hvcat's Windows hooks (platform.h): a completion port and WinsockFlow
// (backends/winsock). URIs: hvsock://VMID/SERVICEID, and tcp://127.0.0.1:PORT
// in builds made for tests (HVSOCK_HVCAT_TCP_FOR_TESTS; CMake option
// HVSOCK_HVCAT_TCP), parsed by the test-only tcp_loopback_uri.h before
// other URIs go to ParseAddressUri. The standard streams are
// std_streams_windows.h: one thread each, waking the loop.

// winsock2.h must come before windows.h.
// <winsock2.h> comes before <windows.h>, in a block of its own.
#include <winsock2.h>

#include <windows.h>

#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/default_codec.h"
#include "backends/uri.h"
#include "backends/winsock/winsock_connector.h"
#include "backends/winsock/winsock_error.h"
#include "backends/winsock/winsock_flow.h"
#include "backends/winsock/winsock_iocp_loop.h"
#include "backends/winsock/winsock_listener.h"
#include "core/flow.h"
#include "tools/hvcat/command_line.h"
#include "tools/hvcat/copier.h"
#include "tools/hvcat/exit.h"
#include "tools/hvcat/platform.h"
#include "tools/hvcat/std_streams_windows.h"
#ifdef HVSOCK_HVCAT_TCP_FOR_TESTS
#include "tools/hvcat/tcp_loopback_uri.h"
#endif

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
// (loopback only, native codec) in builds for tests.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view uri) {
#ifdef HVSOCK_HVCAT_TCP_FOR_TESTS
  if (HasTcpScheme(uri)) {
    absl::StatusOr<uint16_t> port = ParseTcpLoopbackUri(uri);
    if (!port.ok()) return port.status();
    return Endpoint{SocketAddress::Ipv4Loopback(*port), Codec::kNative,
                    *port == 0};
  }
#endif
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  if (!address.ok()) return address.status();
  absl::StatusOr<SocketAddress> socket_address = SocketAddress::From(*address);
  if (!socket_address.ok()) return socket_address.status();
  return Endpoint{*socket_address, DefaultCodecFor(*address), false};
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
  loop.RunUntil([&] { return accepted.has_value(); }, absl::InfiniteDuration())
      .IgnoreError();
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

class WindowsPlatform : public Platform {
 public:
  WindowsPlatform() {
    _setmode(_fileno(stderr), _O_BINARY);  // "\n", not "\r\n"
  }

  UsageDetails usage_details() const override { return kUsageDetails; }
  // Writes to standard output directly (the copy has not started).
  void PrintUsage(absl::string_view text) override {
    DWORD put = 0;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text.data(),
              static_cast<DWORD>(text.size()), &put, nullptr);
  }

  absl::Status Resolve(const CommandLine& config) override {
    absl::StatusOr<Endpoint> endpoint = ParseEndpoint(config.uri);
    if (!endpoint.ok()) return endpoint.status();
    endpoint_ = *endpoint;
    return absl::OkStatus();
  }
  Codec default_codec() const override { return endpoint_.default_codec; }

  absl::Status Open(const CommandLine& config) override {
    absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
    if (!loop.ok()) return loop.status();
    loop_ = *std::move(loop);
    absl::StatusOr<UniqueSocket> socket =
        config.listen ? AcceptOne(*loop_, endpoint_)
                      : ConnectOne(*loop_, endpoint_, config);
    if (!socket.ok()) return socket.status();
    transport_ = *std::move(socket);
    return absl::OkStatus();
  }

  absl::StatusOr<FlowHandle*> StartFlow(const FlowOptions& options) override {
    // The copy polls the flow after every pass: no callback needed.
    absl::StatusOr<std::unique_ptr<WinsockFlow>> flow =
        WinsockFlow::Create(*loop_, std::move(transport_), options);
    if (!flow.ok()) return flow.status();
    flow_ = *std::move(flow);
    IocpLoop& iocp = *loop_;
    auto wake = [&iocp] { iocp.Wake(); };
    absl::StatusOr<std::unique_ptr<ThreadedStdOutput>> output =
        ThreadedStdOutput::Start(GetStdHandle(STD_OUTPUT_HANDLE), wake);
    if (!output.ok()) return output.status();
    output_ = *std::move(output);
    input_ = std::make_unique<ThreadedStdInput>(GetStdHandle(STD_INPUT_HANDLE),
                                                kChunk, wake);
    return flow_.get();
  }

  Loop& loop() override { return *loop_; }
  InputStream& input() override { return *input_; }
  OutputStream& output() override { return *output_; }

 private:
  Endpoint endpoint_;
  // Destroyed in reverse: the streams and the flow before the loop.
  std::unique_ptr<IocpLoop> loop_;
  UniqueSocket transport_;
  std::unique_ptr<WinsockFlow> flow_;
  std::unique_ptr<ThreadedStdOutput> output_;
  std::unique_ptr<ThreadedStdInput> input_;
};

}  // namespace

std::unique_ptr<Platform> MakePlatform() {
  return std::make_unique<WindowsPlatform>();
}

}  // namespace hvsock::hvcat
