// The connector and the listener over AF_INET loopback, and AF_HYPERV's
// absence under Wine.
#include "backends/winsock/winsock_connector.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "backends/winsock/winsock_error.h"
#include "backends/winsock/winsock_listener.h"
#include "backends/winsock/winsock_test_pair.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::kPatience;
using ::testing::HasSubstr;

std::unique_ptr<IocpLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return std::move(loop).value();
}

// A loopback port with nothing listening on it (bound, then closed).
uint16_t FreePort() {
  absl::StatusOr<UniqueSocket> socket = OpenStreamSocket(AF_INET);
  EXPECT_TRUE(socket.ok()) << socket.status();
  SocketAddress any = SocketAddress::Ipv4Loopback(0);
  EXPECT_EQ(bind(socket->get(), any.get(), any.length()), 0);
  sockaddr_in bound = {};
  int length = sizeof(bound);
  getsockname(socket->get(), reinterpret_cast<sockaddr*>(&bound), &length);
  return ntohs(bound.sin_port);
}

ConnectOptions Options(absl::Duration timeout, bool retry = false) {
  ConnectOptions options;
  options.timeout = timeout;
  options.retry_refused = retry;
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(20);
  return options;
}

TEST(WinsockConnector, TimeoutIsMandatory) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(*loop, SocketAddress::Ipv4Loopback(1),
                                Options(absl::ZeroDuration()), nullptr);
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(connector.status().message(),
              HasSubstr("the timeout must be positive and finite"));
}

TEST(WinsockConnector, RefusedConnectFailsWithUnavailable) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  std::optional<absl::StatusOr<UniqueSocket>> result;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          *loop, SocketAddress::Ipv4Loopback(FreePort()), Options(kPatience),
          [&](absl::StatusOr<UniqueSocket> r) { result = std::move(r); });
  ASSERT_TRUE(connector.ok()) << connector.status();
  ASSERT_TRUE(
      loop->RunUntil([&] { return result.has_value(); }, kPatience).ok());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kUnavailable)
      << result->status();
  // The same words as the posix connectors' (ConnectRetryPolicy).
  EXPECT_THAT(result->status().message(),
              HasSubstr("connection refused (nothing listens there)"));
  EXPECT_TRUE(WinsockErrorCode(result->status()).has_value());
  EXPECT_EQ((*connector)->attempts_made(), 1);
}

TEST(WinsockConnector, RetriesRefusedAttemptsUntilTheListenerIsUp) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  uint16_t port = FreePort();
  std::optional<absl::StatusOr<UniqueSocket>> result;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          *loop, SocketAddress::Ipv4Loopback(port),
          Options(kPatience, /*retry=*/true),
          [&](absl::StatusOr<UniqueSocket> r) { result = std::move(r); });
  ASSERT_TRUE(connector.ok()) << connector.status();
  ASSERT_TRUE(loop->RunUntil([&] { return (*connector)->attempts_made() >= 2; },
                             kPatience)
                  .ok());
  ASSERT_FALSE(result.has_value());

  std::vector<AcceptedConnection> accepted;
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(*loop, SocketAddress::Ipv4Loopback(port), {},
                              [&](absl::StatusOr<AcceptedConnection> c) {
                                ASSERT_TRUE(c.ok()) << c.status();
                                accepted.push_back(std::move(*c));
                              });
  ASSERT_TRUE(listener.ok()) << listener.status();
  ASSERT_TRUE(
      loop->RunUntil([&] { return result.has_value() && !accepted.empty(); },
                     kPatience)
          .ok());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_TRUE((*connector)->done());

  // The connected socket is usable as a flow, shutdown included.
  testing::End client, server;
  FlowOptions options;
  ASSERT_TRUE(
      testing::AttachFlow(*loop, std::move(**result), options, client).ok());
  ASSERT_TRUE(
      testing::AttachFlow(*loop, std::move(accepted[0].socket), options, server)
          .ok());
  ASSERT_TRUE(client.flow->Write(absl::Cord("after retries")).ok());
  ASSERT_TRUE(client.flow->Close().ok());
  ASSERT_TRUE(server.flow->Close().ok());
  ASSERT_TRUE(loop->RunUntil(
                      [&] {
                        server.Drain();
                        client.Drain();
                        return server.eof && client.eof &&
                               client.flow->state() == FlowState::kClosed;
                      },
                      kPatience)
                  .ok());
  EXPECT_EQ(server.received, "after retries");
}

TEST(WinsockConnector,
     AbandonsUnansweredAttemptsAndTimesOutWhenTheListenerNeverAnswers) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  // A listener that never accepts, with its backlog filled: further
  // connection attempts get no answer at all.
  absl::StatusOr<UniqueSocket> deaf = OpenStreamSocket(AF_INET);
  ASSERT_TRUE(deaf.ok());
  SocketAddress any = SocketAddress::Ipv4Loopback(0);
  ASSERT_EQ(bind(deaf->get(), any.get(), any.length()), 0);
  ASSERT_EQ(listen(deaf->get(), 1), 0);
  sockaddr_in bound = {};
  int length = sizeof(bound);
  getsockname(deaf->get(), reinterpret_cast<sockaddr*>(&bound), &length);
  SocketAddress target = SocketAddress::Ipv4Loopback(ntohs(bound.sin_port));

  std::vector<std::unique_ptr<WinsockConnector>> fillers;
  int filled = 0;
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<std::unique_ptr<WinsockConnector>> filler =
        WinsockConnector::Connect(*loop, target, Options(absl::Seconds(1)),
                                  [&](absl::StatusOr<UniqueSocket> r) {
                                    if (r.ok()) {
                                      loop->Detach(r->get());
                                      ++filled;
                                    }
                                  });
    ASSERT_TRUE(filler.ok());
    fillers.push_back(std::move(*filler));
  }
  ASSERT_TRUE(loop->RunUntil(
                      [&] {
                        for (auto& f : fillers) {
                          if (!f->done()) return false;
                        }
                        return true;
                      },
                      kPatience)
                  .ok());
  if (filled == 8) GTEST_SKIP() << "this system's backlog did not fill up";

  std::optional<absl::StatusOr<UniqueSocket>> result;
  // Each unanswered attempt is abandoned after 50ms and retried.
  ConnectOptions options = Options(absl::Milliseconds(150), /*retry=*/true);
  options.attempt_timeout = absl::Milliseconds(50);
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          *loop, target, options,
          [&](absl::StatusOr<UniqueSocket> r) { result = std::move(r); });
  ASSERT_TRUE(connector.ok());
  ASSERT_TRUE(
      loop->RunUntil([&] { return result.has_value(); }, kPatience).ok());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kDeadlineExceeded)
      << result->status();
  // The timeout bounds the whole connect, retries included.
  EXPECT_THAT(result->status().message(), HasSubstr("timed out after 150ms"));
  EXPECT_GE((*connector)->attempts_made(), 2);
}

TEST(WinsockConnector, DestroyingAPendingConnectorCancelsIt) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  bool called = false;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          *loop, SocketAddress::Ipv4Loopback(FreePort()),
          Options(kPatience, /*retry=*/true),
          [&](absl::StatusOr<UniqueSocket>) { called = true; });
  ASSERT_TRUE(connector.ok());
  connector->reset();
  ASSERT_TRUE(
      loop->RunUntil([&] { return loop->attached_sockets() == 0; }, kPatience)
          .ok());
  EXPECT_FALSE(called);
}

TEST(WinsockListener, ReportsThePeerAddress) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  std::vector<AcceptedConnection> accepted;
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(*loop, SocketAddress::Ipv4Loopback(0), {},
                              [&](absl::StatusOr<AcceptedConnection> c) {
                                ASSERT_TRUE(c.ok()) << c.status();
                                accepted.push_back(std::move(*c));
                              });
  ASSERT_TRUE(listener.ok());
  EXPECT_THAT((*listener)->local_address().ToString(),
              HasSubstr("tcp://127.0.0.1:"));
  std::optional<absl::StatusOr<UniqueSocket>> client;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          *loop, (*listener)->local_address(), Options(kPatience),
          [&](absl::StatusOr<UniqueSocket> r) { client = std::move(r); });
  ASSERT_TRUE(
      loop->RunUntil([&] { return client.has_value() && !accepted.empty(); },
                     kPatience)
          .ok());
  ASSERT_TRUE(client->ok());
  sockaddr_in local = {};
  int length = sizeof(local);
  ASSERT_EQ(getsockname((*client)->get(), reinterpret_cast<sockaddr*>(&local),
                        &length),
            0);
  EXPECT_EQ(accepted[0].peer.ToString(),
            SocketAddress::Ipv4Loopback(ntohs(local.sin_port)).ToString());
  loop->Detach((*client)->get());
}

TEST(WinsockListener, PeerFilterRefusesCountsAndReports) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  int accepted = 0;
  std::vector<std::string> refused;
  WinsockListenerOptions options;
  // A VmId allowlist: an IPv4 peer has no VmId, so it is refused.
  options.peers.allowed_vm_ids = {kHvGuidParent};
  options.peers.on_refused = [&](absl::string_view peer,
                                 const absl::Status& why) {
    EXPECT_EQ(why.code(), absl::StatusCode::kPermissionDenied);
    refused.push_back(std::string(peer));
  };
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(
          *loop, SocketAddress::Ipv4Loopback(0), std::move(options),
          [&](absl::StatusOr<AcceptedConnection>) { ++accepted; });
  ASSERT_TRUE(listener.ok());
  std::optional<absl::StatusOr<UniqueSocket>> client;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          *loop, (*listener)->local_address(), Options(kPatience),
          [&](absl::StatusOr<UniqueSocket> r) { client = std::move(r); });
  ASSERT_TRUE(loop->RunUntil(
                      [&] {
                        return client.has_value() &&
                               (*listener)->rejected_peers() == 1;
                      },
                      kPatience)
                  .ok());
  EXPECT_EQ(accepted, 0);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_THAT(refused[0], HasSubstr("tcp://127.0.0.1:"));
  // The rejected client sees its stream end abruptly, not cleanly.
  ASSERT_TRUE(client->ok());
  testing::End end;
  FlowOptions flow_options;
  flow_options.codec = Codec::kFramed;
  ASSERT_TRUE(
      testing::AttachFlow(*loop, std::move(**client), flow_options, end).ok());
  ASSERT_TRUE(loop->RunUntil(
                      [&] {
                        end.Drain();
                        return end.ReadEnded();
                      },
                      kPatience)
                  .ok());
  EXPECT_FALSE(end.eof);
}

TEST(WinsockListener, DestroyingItCancelsThePendingAccept) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(*loop, SocketAddress::Ipv4Loopback(0), {},
                              [](absl::StatusOr<AcceptedConnection>) {});
  ASSERT_TRUE(listener.ok());
  EXPECT_EQ(loop->attached_sockets(), 1u);
  listener->reset();
  ASSERT_TRUE(
      loop->RunUntil([&] { return loop->attached_sockets() == 0; }, kPatience)
          .ok());
}

TEST(WinsockListener, ACidAllowlistIsRefusedHereAsNeedingLinux) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  WinsockListenerOptions options;
  options.peers.allowed_cids = {3};
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(*loop, SocketAddress::Ipv4Loopback(0),
                              std::move(options),
                              [](absl::StatusOr<AcceptedConnection>) {});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(listener.status().message(), HasSubstr("need Linux"));
}

TEST(HyperVSockets, AddressConvertsToSockaddrHv) {
  HvSocketAddress hv{kHvGuidParent, VsockPortGuid(5000)};
  SocketAddress address = SocketAddress::HyperV(hv);
  EXPECT_EQ(address.family(), AF_HYPERV);
  EXPECT_EQ(address.length(), 36);
  absl::StatusOr<HvSocketAddress> back = address.hyperv();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, hv);
  EXPECT_EQ(address.ToString(), "hvsock://parent/5000");
  EXPECT_EQ(address.Wildcard().ToString(),
            "hvsock://wildcard/00000000-0000-0000-0000-000000000000");
}

// Wine (and Windows without Hyper-V sockets) has no AF_HYPERV: every entry
// point reports that clearly instead of a bare error number.
TEST(HyperVSockets, MissingAddressFamilyIsAClearError) {
  absl::StatusOr<UniqueSocket> socket = OpenStreamSocket(AF_HYPERV);
  if (socket.ok()) GTEST_SKIP() << "this system has Hyper-V sockets";
  EXPECT_EQ(socket.status().code(), absl::StatusCode::kUnimplemented)
      << socket.status();
  EXPECT_THAT(socket.status().message(), HasSubstr("AF_HYPERV"));
  EXPECT_THAT(socket.status().message(), HasSubstr("WSAEAFNOSUPPORT (10047)"));
  EXPECT_THAT(socket.status().message(), HasSubstr("Hyper-V"));
  EXPECT_EQ(WinsockErrorCode(socket.status()), WSAEAFNOSUPPORT);

  std::unique_ptr<IocpLoop> loop = NewLoop();
  SocketAddress parent =
      SocketAddress::HyperV({kHvGuidParent, VsockPortGuid(1)});
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(*loop, parent, Options(absl::Seconds(1)),
                                nullptr);
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), absl::StatusCode::kUnimplemented);
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(
          *loop, SocketAddress::HyperV({kHvGuidWildcard, VsockPortGuid(1)}), {},
          nullptr);
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace hvsock
