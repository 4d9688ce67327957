// Test support (header-only, tests only): two WinsockFlows connected over
// AF_INET loopback through the real listener and connector, on one IocpLoop,
// with helpers that run the loop until something holds. Payloads come from
// testing/pattern.h, reading from testing/scripted_app.h. Every wait is
// bounded; nothing measures time.
//
// Windows only. Thread-safety: single-threaded, like the loop.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_TEST_PAIR_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_TEST_PAIR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/winsock/winsock_connector.h"
#include "backends/winsock/winsock_flow.h"
#include "backends/winsock/winsock_iocp_loop.h"
#include "backends/winsock/winsock_listener.h"
#include "core/flow.h"
#include "testing/pattern.h"
#include "testing/scripted_app.h"

namespace hvsock::testing {

// Upper bound for any single wait in these tests (never expected to be hit).
inline constexpr absl::Duration kPatience = absl::Seconds(20);

// A connected pair of raw sockets: `client` from the connector (attached to
// the loop), `server` from the listener.
struct SocketPair {
  UniqueSocket client;
  UniqueSocket server;
};

inline absl::StatusOr<SocketPair> ConnectSockets(IocpLoop& loop) {
  std::vector<absl::StatusOr<AcceptedConnection>> accepted;
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(loop, SocketAddress::Ipv4Loopback(0), {},
                              [&](absl::StatusOr<AcceptedConnection> c) {
                                accepted.push_back(std::move(c));
                              });
  if (!listener.ok()) return listener.status();
  std::optional<absl::StatusOr<UniqueSocket>> connected;
  ConnectOptions options;
  options.timeout = kPatience;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          loop, (*listener)->local_address(), options,
          [&](absl::StatusOr<UniqueSocket> s) { connected = std::move(s); });
  if (!connector.ok()) return connector.status();
  if (!loop.RunUntil([&] { return connected.has_value() && !accepted.empty(); },
                     kPatience)
           .ok()) {
    return absl::DeadlineExceededError("loopback connect did not complete");
  }
  if (!connected->ok()) return connected->status();
  if (!accepted.front().ok()) return accepted.front().status();
  return SocketPair{std::move(**connected),
                    std::move(accepted.front()->socket)};
}

// One end: the driver plus every event it reported, and what its
// application read (testing::ReadLog: received, eof, read_error).
struct End : ReadLog {
  std::unique_ptr<WinsockFlow> flow;
  std::vector<FlowEvent> events;

  bool Saw(FlowEvent event) const {
    for (FlowEvent e : events) {
      if (e == event) return true;
    }
    return false;
  }
  // Reads everything available now.
  void Drain(size_t max_read = SIZE_MAX) {
    ReadAvailable(*flow, *this, max_read);
  }
};

struct FlowPair {
  std::unique_ptr<IocpLoop> loop;
  std::unique_ptr<End> client = std::make_unique<End>();
  std::unique_ptr<End> server = std::make_unique<End>();

  bool RunUntil(const std::function<bool()>& done) {
    return loop->RunUntil(done, kPatience).ok();
  }
};

inline absl::Status AttachFlow(IocpLoop& loop, UniqueSocket socket,
                               const FlowOptions& options, End& end) {
  absl::StatusOr<std::unique_ptr<WinsockFlow>> flow = WinsockFlow::Create(
      loop, std::move(socket), options,
      [&end](FlowHandle&, FlowEvent event) { end.events.push_back(event); });
  if (!flow.ok()) return flow.status();
  end.flow = std::move(*flow);
  return absl::OkStatus();
}

inline absl::StatusOr<FlowPair> MakeFlowPair(const FlowOptions& client_options,
                                             const FlowOptions& server_options,
                                             IocpLoop* shared_loop = nullptr) {
  FlowPair pair;
  IocpLoop* loop = shared_loop;
  if (loop == nullptr) {
    absl::StatusOr<std::unique_ptr<IocpLoop>> created = IocpLoop::Create();
    if (!created.ok()) return created.status();
    pair.loop = std::move(*created);
    loop = pair.loop.get();
  }
  absl::StatusOr<SocketPair> sockets = ConnectSockets(*loop);
  if (!sockets.ok()) return sockets.status();
  if (absl::Status s = AttachFlow(*loop, std::move(sockets->client),
                                  client_options, *pair.client);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AttachFlow(*loop, std::move(sockets->server),
                                  server_options, *pair.server);
      !s.ok()) {
    return s;
  }
  return pair;
}

}  // namespace hvsock::testing

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_TEST_PAIR_H_
