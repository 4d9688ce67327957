// The listener when it cannot make the sockets it accepts into (out of
// sockets or buffers): it backs off on the loop's deadlines instead of
// stopping for good or spinning, reports the episode once, and accepts the
// waiting connection once sockets can be made again. Over AF_INET loopback
// (under Wine); the shortage is injected through open_socket.
#include "backends/winsock/winsock_listener.h"

#include <optional>
#include <vector>

#include "backends/winsock/winsock_connector.h"
#include "backends/winsock/winsock_error.h"
#include "backends/winsock/winsock_test_pair.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::kPatience;
using ::testing::HasSubstr;

TEST(WinsockListener, OutOfSocketsItBacksOffReportsOnceAndRecovers) {
  absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  int opens = 0;
  int failures_left = 3;
  WinsockListenerOptions options;
  options.open_socket = [&](int family) -> absl::StatusOr<UniqueSocket> {
    ++opens;
    if (failures_left > 0) {
      --failures_left;
      return WinsockStatus(WSAEMFILE, "WSASocket");
    }
    return OpenStreamSocket(family);
  };
  std::vector<absl::Status> errors;
  std::vector<AcceptedConnection> accepted;
  absl::StatusOr<std::unique_ptr<WinsockListener>> listener =
      WinsockListener::Listen(**loop, SocketAddress::Ipv4Loopback(0),
                              std::move(options),
                              [&](absl::StatusOr<AcceptedConnection> c) {
                                if (c.ok()) {
                                  accepted.push_back(std::move(*c));
                                } else {
                                  errors.push_back(c.status());
                                }
                              });
  ASSERT_TRUE(listener.ok()) << listener.status();
  // The first socket could not be made: reported at once, and paused.
  EXPECT_EQ(opens, 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(std::string(errors[0].message()),
              HasSubstr("accepting paused, retrying after 10ms"));
  EXPECT_TRUE((*listener)->paused());

  // A client connects meanwhile; the backlog holds it while the retries
  // (after 10ms, then 20ms, then 40ms) fail twice and then succeed.
  ConnectOptions connect_options;
  connect_options.timeout = kPatience;
  std::optional<absl::StatusOr<UniqueSocket>> client;
  absl::StatusOr<std::unique_ptr<WinsockConnector>> connector =
      WinsockConnector::Connect(
          **loop, (*listener)->local_address(), connect_options,
          [&](absl::StatusOr<UniqueSocket> r) { client = std::move(r); });
  ASSERT_TRUE(connector.ok()) << connector.status();
  ASSERT_TRUE(
      (*loop)
          ->RunUntil([&] { return client.has_value() && !accepted.empty(); },
                     kPatience)
          .ok());
  ASSERT_TRUE(client->ok()) << client->status();

  EXPECT_EQ(errors.size(), 1u) << "reported once per episode";
  EXPECT_EQ((*listener)->failed_retries(), 2u);
  EXPECT_EQ((*listener)->pauses(), 1u);
  EXPECT_FALSE((*listener)->paused());
  // Three failed opens, one for the accepted connection, one for the next.
  EXPECT_EQ(opens, 5);
  (*loop)->Detach((*client)->get());  // the connector attached it; unused
}

TEST(WinsockListener, BackoffsMustMakeSense) {
  absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  WinsockListenerOptions options;
  options.min_backoff = absl::Seconds(2);
  options.max_backoff = absl::Seconds(1);
  EXPECT_EQ(WinsockListener::Listen(**loop, SocketAddress::Ipv4Loopback(0),
                                    std::move(options),
                                    [](absl::StatusOr<AcceptedConnection>) {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvsock
