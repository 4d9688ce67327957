// Listener and Connect over AF_UNIX sockets in a private /tmp directory
// (Bazel's TEST_TMPDIR can be too long for sun_path).
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/hyperv/guid.h"
#include "backends/peer_filter.h"
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"
#include "backends/posix/socket_address.h"
#include "backends/posix/unix_socket_test_base.h"
#include "backends/uri.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::UnixSocketTestBase;

using ::testing::HasSubstr;

class ListenConnectTest : public UnixSocketTestBase {};

ConnectOptions Quick() {
  ConnectOptions options;
  options.timeout = absl::Seconds(5);
  return options;
}

TEST_F(ListenConnectTest, ConnectsAcceptsAndCarriesAFlow) {
  std::unique_ptr<Listener> listener = MustListen(Unix("a.sock"));
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(listener->local_address(), Address(Unix("a.sock")));
  absl::StatusOr<std::optional<AcceptedConnection>> none = listener->Accept();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  absl::StatusOr<UniqueFd> client = Connect(Unix("a.sock"), Quick());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_NE(::fcntl(client->get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(client->get(), F_GETFD) & FD_CLOEXEC, 0);
  absl::StatusOr<std::optional<AcceptedConnection>> accepted =
      listener->Accept();
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_TRUE(accepted->has_value());
  EXPECT_EQ((*accepted)->peer, Address(UnixAddress{""}));  // unnamed client
  EXPECT_EQ(listener->accepted_count(), 1u);

  // The two sockets carry a framed flow through the event loop.
  std::unique_ptr<EventLoop> loop = *EventLoop::Create();
  FlowOptions framed;
  framed.codec = Codec::kFramed;
  std::string got;
  bool server_done = false;
  bool client_done = false;
  LoopFlow* server = *loop->AddFlow(
      std::move((*accepted)->fd), framed, [&](FlowHandle& flow, FlowEvent) {
        while (true) {
          absl::StatusOr<ReadResult> read = flow.Read();
          if (!read.ok() || read->would_block()) break;
          if (read->is_eof()) {
            flow.Close().IgnoreError();
            break;
          }
          got += std::string(read->data());
        }
        if (flow.flow().IsFinished()) server_done = true;
      });
  LoopFlow* client_flow = *loop->AddFlow(*std::move(client), framed,
                                         [&](FlowHandle& flow, FlowEvent) {
                                           if (flow.flow().IsFinished())
                                             client_done = true;
                                         });
  ASSERT_TRUE(client_flow->Write("over a real socket").ok());
  ASSERT_TRUE(client_flow->Close().ok());
  ASSERT_TRUE(loop->RunUntil([&] { return server_done && client_done; },
                             absl::Seconds(20))
                  .ok());
  EXPECT_EQ(got, "over a real socket");
  EXPECT_EQ(server->flow().state(), FlowState::kClosed);
  EXPECT_EQ(client_flow->flow().state(), FlowState::kClosed);
}

TEST_F(ListenConnectTest, RemovesAStaleSocketFile) {
  MakeStaleSocket(Path("a.sock"));
  std::unique_ptr<Listener> listener = MustListen(Unix("a.sock"));
  ASSERT_NE(listener, nullptr);
  EXPECT_TRUE(Connect(Unix("a.sock"), Quick()).ok());
}

TEST_F(ListenConnectTest, LeavesALiveListenerAlone) {
  std::unique_ptr<Listener> first = MustListen(Unix("a.sock"));
  absl::StatusOr<std::unique_ptr<Listener>> second =
      Listener::Listen(Unix("a.sock"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(second.status().message(),
              HasSubstr("another listener is already there"));
  ASSERT_TRUE(Connect(Unix("a.sock"), Quick()).ok());
  absl::StatusOr<std::optional<AcceptedConnection>> accepted = first->Accept();
  ASSERT_TRUE(accepted.ok());
  EXPECT_TRUE(accepted->has_value());
}

TEST_F(ListenConnectTest, LeavesANonSocketFileAlone) {
  UniqueFd file(
      ::open(Path("file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid());
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(Unix("file"));
  ASSERT_FALSE(listener.ok());
  EXPECT_THAT(listener.status().message(), HasSubstr("is not a socket"));
  struct stat info;
  EXPECT_EQ(::stat(Path("file").c_str(), &info), 0);
}

TEST_F(ListenConnectTest, RemovesItsOwnSocketFileButNotAReplacement) {
  MustListen(Unix("a.sock")).reset();
  struct stat info;
  EXPECT_NE(::stat(Path("a.sock").c_str(), &info), 0);

  std::unique_ptr<Listener> old = MustListen(Unix("b.sock"));
  ASSERT_EQ(::unlink(Path("b.sock").c_str()), 0);
  std::unique_ptr<Listener> replacement = MustListen(Unix("b.sock"));
  old.reset();
  EXPECT_EQ(::stat(Path("b.sock").c_str(), &info), 0);
  EXPECT_TRUE(Connect(Unix("b.sock"), Quick()).ok());
}

TEST_F(ListenConnectTest, RejectedPeersAreClosedUnreadAndReported) {
  std::vector<std::string> reports;
  ListenOptions options;
  options.admit = [](const Address&) {
    return absl::PermissionDeniedError("not today");
  };
  options.peers.on_refused = [&](absl::string_view peer,
                                 const absl::Status& why) {
    reports.push_back(absl::StrCat(peer, " ", why.message()));
  };
  std::unique_ptr<Listener> listener =
      MustListen(Unix("a.sock"), std::move(options));
  absl::StatusOr<UniqueFd> client = Connect(Unix("a.sock"), Quick());
  ASSERT_TRUE(client.ok());
  ASSERT_EQ(::send(client->get(), "secret", 6, MSG_NOSIGNAL), 6);
  absl::StatusOr<std::optional<AcceptedConnection>> accepted =
      listener->Accept();
  ASSERT_TRUE(accepted.ok());
  EXPECT_FALSE(accepted->has_value());
  EXPECT_EQ(listener->rejected_count(), 1u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], "unix:// not today");
  // Its data was never read: closing with it unread resets the client.
  char byte;
  EXPECT_EQ(::recv(client->get(), &byte, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, ECONNRESET);
}

PeerFilter Cids(std::vector<uint32_t> cids) {
  PeerFilter filter;
  filter.allowed_cids = std::move(cids);
  return filter;
}

TEST(CheckPeerCid, AdmitsListedCidsOnly) {
  EXPECT_TRUE(CheckPeerCid(Cids({}), VsockAddress{7, 1}).ok());
  EXPECT_TRUE(CheckPeerCid(Cids({3, 7}), VsockAddress{7, 1}).ok());
  absl::Status refused = CheckPeerCid(Cids({3, 7}), VsockAddress{8, 1025});
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(),
              HasSubstr("peer CID 8 (vsock://8:1025) is not in the allowlist"));
  EXPECT_FALSE(CheckPeerCid(Cids({3}), UnixAddress{"/x"}).ok());
}

TEST_F(ListenConnectTest, AVmIdAllowlistIsRefusedHereAsNeedingWindows) {
  ListenOptions options;
  options.peers.allowed_vm_ids = {kHvGuidParent};
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(Unix("a.sock"), std::move(options));
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(listener.status().message(), HasSubstr("need Windows"));
}

TEST_F(ListenConnectTest, CidAllowlistNeedsAVsockListener) {
  ListenOptions options;
  options.peers.allowed_cids = {3};
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(Unix("a.sock"), std::move(options));
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ListenConnectTest, RefusedConnectSaysSo) {
  MakeStaleSocket(Path("a.sock"));
  absl::StatusOr<UniqueFd> fd = Connect(Unix("a.sock"), Quick());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(fd.status().message(),
              HasSubstr(absl::StrCat("connect unix://", Path("a.sock"),
                                     ": connection refused")));
}

TEST_F(ListenConnectTest, MissingSocketFileIsNotFound) {
  absl::StatusOr<UniqueFd> fd = Connect(Unix("a.sock"), Quick());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(fd.status().message(), HasSubstr("no socket file"));
}

TEST_F(ListenConnectTest, RetriesWhileTheListenerIsNotUpYet) {
  std::unique_ptr<Listener> listener;
  std::vector<int> attempts;
  ConnectOptions options = Quick();
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  options.on_retry = [&](int attempt, const absl::Status& why) {
    attempts.push_back(attempt);
    if (attempt == 1) {
      EXPECT_EQ(why.code(), absl::StatusCode::kNotFound) << why;
      MakeStaleSocket(Path("a.sock"));  // now refused
    } else if (attempt == 2) {
      EXPECT_EQ(why.code(), absl::StatusCode::kUnavailable) << why;
      listener = MustListen(Unix("a.sock"));  // now up
    }
  };
  absl::StatusOr<UniqueFd> fd = Connect(Unix("a.sock"), options);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(attempts, (std::vector<int>{1, 2}));
}

TEST_F(ListenConnectTest, ConnectTimesOutWhileTheBacklogStaysFull) {
  ListenOptions options;
  options.backlog = 0;
  std::unique_ptr<Listener> listener =
      MustListen(Unix("a.sock"), std::move(options));
  std::vector<UniqueFd> queued = FillBacklog(Path("a.sock"));
  ConnectOptions impatient;
  impatient.timeout = absl::Milliseconds(30);
  absl::StatusOr<UniqueFd> fd = Connect(Unix("a.sock"), impatient);
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(fd.status().message(), HasSubstr("timed out after 30ms"));
  EXPECT_THAT(fd.status().message(), HasSubstr("backlog is full"));
}

TEST_F(ListenConnectTest, BadArgumentsAreRejected) {
  ConnectOptions no_timeout;
  no_timeout.timeout = absl::InfiniteDuration();
  EXPECT_EQ(Connect(Unix("a.sock"), no_timeout).status().code(),
            absl::StatusCode::kInvalidArgument);
  UnixAddress too_long{"/tmp/" + std::string(200, 'x')};
  absl::StatusOr<UniqueFd> fd = Connect(too_long, Quick());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fd.status().message(), HasSubstr("at most 107 fit"));
  EXPECT_EQ(Listener::Listen(too_long).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvsock
