// Hybrid vsock and hyperkit through testing/fake_vmm.h: ConnectVmm,
// ConnectVmmAsync and ListenVmm against each VMM behaviour the
// fake can put on. Unix sockets in a private /tmp directory; every run is
// bounded by RunUntil's limit or the connect timeout; nothing asserts on
// timing.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_async_connector.h"
#include "backends/posix/hybrid_connector.h"
#include "backends/posix/hybrid_listener.h"
#include "backends/posix/hybrid_paths.h"
#include "backends/posix/unix_socket_test_base.h"
#include "core/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_vmm.h"
#include "testing/scripted_app.h"

namespace hvsock {
namespace {

using ::hvsock::testing::FakeVmm;
using ::hvsock::testing::UnixSocketTestBase;

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kLimit = absl::Seconds(60);

// A guest's side of one connection on the test's loop: it reads the whole
// request (until Eof), then answers "response:<request>" and closes. This
// is the request/response pattern that needs half-close.
struct GuestSide {
  LoopFlow* flow = nullptr;
  std::string request;
  bool eof = false;
  bool finished = false;
  absl::Status error;
};

// A host's side: writes `request`, closes its write side at once, and reads
// until Eof or failure.
struct HostSide {
  LoopFlow* flow = nullptr;
  std::string response;
  bool eof = false;
  bool finished = false;
  absl::Status error;
  FlowState final_state = FlowState::kOpen;
};

class HybridVmmTest : public UnixSocketTestBase {
 protected:
  void SetUp() override {
    UnixSocketTestBase::SetUp();
    loop_ = *EventLoop::Create();
  }
  void TearDown() override {
    guest_watches_.clear();
    for (FdWatch* watch : watches_) watch->Release();
    loop_.reset();
    vmm_.reset();
    guest_listeners_.clear();
    UnixSocketTestBase::TearDown();
  }

  std::string VmmSocket() const { return Path("v.sock"); }
  HybridVsockAddress Hybrid(uint32_t port) const {
    return HybridVsockAddress{VmmSocket(), port};
  }

  void StartVmm(FakeVmm::Options options = {}) {
    options.path =
        options.layout == FakeVmm::Layout::kHybridVsock ? VmmSocket() : dir_;
    options.guest_dir = dir_;
    absl::StatusOr<std::unique_ptr<FakeVmm>> vmm = FakeVmm::Start(options);
    ASSERT_TRUE(vmm.ok()) << vmm.status();
    vmm_ = *std::move(vmm);
  }

  // A guest listening on its vsock port `port` (through the fake), serving
  // each connection as a GuestSide on the loop with `codec`.
  void GuestListens(uint32_t port, Codec codec) {
    ListenOptions options;
    options.backlog = 1024;
    std::unique_ptr<Listener> listener = MustListen(
        UnixAddress{FakeVmm::GuestPortPath(dir_, port)}, std::move(options));
    ASSERT_NE(listener, nullptr);
    Listener* raw = listener.get();
    guest_listeners_.push_back(std::move(listener));
    absl::StatusOr<FdWatch*> watch = loop_->Watch(
        raw->fd(), Readiness::kReadable, [this, raw, codec](Readiness) {
          while (true) {
            absl::StatusOr<std::optional<AcceptedConnection>> accepted =
                raw->Accept();
            if (!accepted.ok() || !accepted->has_value()) return;
            ServeGuest(std::move((*accepted)->fd), codec);
          }
        });
    ASSERT_TRUE(watch.ok()) << watch.status();
    watches_.push_back(*watch);
  }

  GuestSide& ServeGuest(UniqueFd fd, Codec codec) {
    guests_.push_back(std::make_unique<GuestSide>());
    GuestSide* guest = guests_.back().get();
    FlowOptions options;
    options.codec = codec;
    options.close_timeout = absl::Seconds(5);
    absl::StatusOr<LoopFlow*> flow = loop_->AddFlow(
        std::move(fd), options,
        [guest](FlowHandle& flow, FlowEvent) { OnGuestEvent(*guest, flow); });
    EXPECT_TRUE(flow.ok()) << flow.status();
    if (flow.ok()) guest->flow = *flow;
    return *guest;
  }

  static void OnGuestEvent(GuestSide& guest, FlowHandle& flow) {
    if (!guest.eof) {
      absl::StatusOr<ReadResult> end = testing::ReadUntilBlocked(
          flow, [&](absl::Cord data) { guest.request += std::string(data); });
      if (!end.ok()) {
        guest.error = end.status();
      } else if (end->is_eof()) {
        guest.eof = true;
        (void)flow.Write(absl::StrCat("response:", guest.request));
        (void)flow.Close();
      }
    }
    if (flow.flow().IsFinished() && !guest.finished) {
      guest.finished = true;
      if (guest.error.ok()) guest.error = flow.flow().error();
    }
  }

  // Runs a host flow over `connection`: writes `request`, closes, reads.
  HostSide& RunHost(VmmConnection connection, Codec codec,
                    const std::string& request) {
    hosts_.push_back(std::make_unique<HostSide>());
    HostSide* host = hosts_.back().get();
    FlowOptions options;
    options.codec = codec;
    options.close_timeout = absl::Seconds(5);
    absl::StatusOr<LoopFlow*> flow = loop_->AddFlow(
        std::move(connection.fd), options,
        [host](FlowHandle& flow, FlowEvent) { OnHostEvent(*host, flow); });
    EXPECT_TRUE(flow.ok()) << flow.status();
    if (!flow.ok()) {
      host->finished = true;
      return *host;
    }
    host->flow = *flow;
    EXPECT_TRUE((*flow)->Write(request).ok());
    EXPECT_TRUE((*flow)->Close().ok());
    return *host;
  }

  static void OnHostEvent(HostSide& host, FlowHandle& flow) {
    if (!host.eof) {
      absl::StatusOr<ReadResult> end = testing::ReadUntilBlocked(
          flow, [&](absl::Cord data) { host.response += std::string(data); });
      if (!end.ok()) {
        host.error = end.status();
      } else if (end->is_eof()) {
        host.eof = true;
      }
    }
    if (flow.flow().IsFinished() && !host.finished) {
      host.finished = true;
      host.final_state = flow.flow().state();
      if (host.error.ok()) host.error = flow.flow().error();
    }
  }

  void RunUntil(const std::function<bool()>& done) {
    absl::Status status = loop_->RunUntil(done, kLimit);
    ASSERT_TRUE(status.ok()) << status;
  }

  // ConnectVmmAsync to completion on the loop.
  absl::StatusOr<VmmConnection> ConnectOnLoop(const VmmSocketAddress& address,
                                              const ConnectOptions& options) {
    std::optional<absl::StatusOr<VmmConnection>> result;
    PendingVmmConnect pending = ConnectVmmAsync(
        *loop_, address, options,
        [&](absl::StatusOr<VmmConnection> c) { result = std::move(c); });
    absl::Status status =
        loop_->RunUntil([&] { return result.has_value(); }, kLimit);
    if (!status.ok()) return status;
    return *std::move(result);
  }

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<FakeVmm> vmm_;
  std::vector<std::unique_ptr<Listener>> guest_listeners_;
  std::vector<FdWatch*> watches_;
  std::vector<FdWatch*> guest_watches_;
  std::vector<std::unique_ptr<GuestSide>> guests_;
  std::vector<std::unique_ptr<HostSide>> hosts_;
};

ConnectOptions Timeout(absl::Duration timeout) {
  ConnectOptions options;
  options.timeout = timeout;
  return options;
}

// ── The handshake ───────────────────────────────────────────────────────

TEST_F(HybridVmmTest, FirecrackerAnswersWithAHostPortThatCountsUp) {
  StartVmm();
  GuestListens(52, Codec::kNative);
  absl::StatusOr<VmmConnection> first = ConnectVmm(Hybrid(52));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->reply, "OK 1073741824");
  absl::StatusOr<VmmConnection> second = ConnectVmm(Hybrid(52));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->reply, "OK 1073741825");
}

TEST_F(HybridVmmTest, VhostDeviceEchoesTheGuestPortAndThatIsOkToo) {
  FakeVmm::Options options;
  options.reply_number = FakeVmm::ReplyNumber::kVhostDevice;
  StartVmm(options);
  GuestListens(52, Codec::kNative);
  absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(connection->reply, "OK 52");
}

TEST_F(HybridVmmTest, TheRequestGoesOutInOneWriteSoFirecrackerDoesNotDropIt) {
  FakeVmm::Options options;
  options.partial_line = FakeVmm::PartialLine::kDrop;
  StartVmm(options);
  GuestListens(52, Codec::kNative);
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
    ASSERT_TRUE(connection.ok()) << connection.status();
  }
  EXPECT_EQ(vmm_->stats().dropped, 0u);
}

TEST_F(HybridVmmTest, NoGuestListenerIsARefusalThatSaysWhatTheVmmDid) {
  StartVmm();
  absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(connection.status().message(),
            absl::StrCat("connect hybrid-vsock://", VmmSocket(),
                         ":52: hybrid vsock: no listener on guest port 52 "
                         "(the VMM closed the connection before OK)"));
  EXPECT_EQ(vmm_->stats().refused, 1u);
}

TEST_F(HybridVmmTest, AMissingVmmSocketIsNotFound) {
  absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(connection.status().message(),
              HasSubstr(absl::StrCat("no VMM socket at ", VmmSocket())));
}

TEST_F(HybridVmmTest, RetriesUntilALateGuestListenerAppears) {
  StartVmm();
  ConnectOptions options = Timeout(absl::Seconds(30));
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  int retries = 0;
  // The guest's listener comes up after the second refusal.
  options.on_retry = [&](int attempt, const absl::Status& why) {
    ++retries;
    EXPECT_THAT(why.message(), HasSubstr("no listener on guest port 52"));
    if (attempt == 2) GuestListens(52, Codec::kNative);
  };
  absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52), options);
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(retries, 2);
  EXPECT_EQ(vmm_->stats().refused, 2u);
}

TEST_F(HybridVmmTest, RetriesOnTheLoopUntilALateGuestListenerAppears) {
  StartVmm();
  ConnectOptions options = Timeout(absl::Seconds(30));
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  options.on_retry = [&](int attempt, const absl::Status&) {
    if (attempt == 3) GuestListens(52, Codec::kNative);
  };
  absl::StatusOr<VmmConnection> connection = ConnectOnLoop(Hybrid(52), options);
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(vmm_->stats().refused, 3u);
}

TEST_F(HybridVmmTest, RetriesGiveUpAtTheTimeoutCountingTheAttempts) {
  StartVmm();
  ConnectOptions options = Timeout(absl::Milliseconds(300));
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(20);
  int retries = 0;
  options.on_retry = [&](int, const absl::Status&) { ++retries; };
  for (bool on_loop : {false, true}) {
    retries = 0;
    absl::StatusOr<VmmConnection> connection =
        on_loop ? ConnectOnLoop(Hybrid(52), options)
                : ConnectVmm(Hybrid(52), options);
    ASSERT_FALSE(connection.ok());
    const std::string message(connection.status().message());
    // On a loaded machine the timeout can also fall while the last attempt
    // waits for the VMM's answer: then it says so.
    if (connection.status().code() == absl::StatusCode::kDeadlineExceeded) {
      EXPECT_EQ(message,
                absl::StrCat("connect hybrid-vsock://", VmmSocket(),
                             ":52: hybrid vsock: guest port 52: timed out "
                             "waiting for OK (no reply bytes); the connect "
                             "timeout is 300ms"));
      EXPECT_GE(retries, 1);
      continue;
    }
    EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnavailable);
    // Every refused attempt but the last was retried: the timeout ends
    // either a backoff (as many attempts as retries) or an attempt that had
    // just been refused (one more), as the clock falls.
    auto said = [&](int attempts) {
      return message ==
             absl::StrCat("connect hybrid-vsock://", VmmSocket(),
                          ":52: hybrid vsock: no listener on guest port 52 "
                          "(the VMM closed the connection before OK; ",
                          attempts, " attempts in 300ms)");
    };
    EXPECT_TRUE(said(retries) || said(retries + 1))
        << message << " (" << retries << " retries)";
    EXPECT_GE(retries, 1);
  }
}

TEST_F(HybridVmmTest, AVmmThatNeverAnswersTimesOut) {
  FakeVmm::Options options;
  options.never_answer = true;
  StartVmm(options);
  for (bool on_loop : {false, true}) {
    absl::StatusOr<VmmConnection> connection =
        on_loop ? ConnectOnLoop(Hybrid(52), Timeout(absl::Milliseconds(200)))
                : ConnectVmm(Hybrid(52), Timeout(absl::Milliseconds(200)));
    ASSERT_FALSE(connection.ok());
    EXPECT_EQ(connection.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_THAT(connection.status().message(),
                HasSubstr("hybrid vsock: guest port 52: timed out waiting for "
                          "OK (no reply bytes); the connect timeout is 200ms"));
  }
}

TEST_F(HybridVmmTest, MalformedAndOversizedRepliesAreErrorsThatQuoteThem) {
  struct Case {
    std::string reply;
    std::string expected;
  };
  for (const Case& c : {
           Case{"ERROR no\n", "malformed reply \"ERROR no\\n\""},
           Case{"OK 12345678901234567890123456789012345",
                "reply longer than 32 bytes without a newline"},
       }) {
    vmm_.reset();
    FakeVmm::Options options;
    options.reply_override = c.reply;
    StartVmm(options);
    GuestListens(52, Codec::kNative);
    absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
    ASSERT_FALSE(connection.ok()) << c.reply;
    EXPECT_EQ(connection.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(connection.status().message(), HasSubstr(c.expected));
    guest_listeners_.clear();
    for (FdWatch* watch : watches_) watch->Release();
    watches_.clear();
  }
}

TEST_F(HybridVmmTest, StreamBytesThatComeWithOkAreDeliveredExactlyOnce) {
  FakeVmm::Options options;
  options.ok_with_guest_data = true;
  StartVmm(options);
  // A guest that speaks first: its greeting goes out in the OK's segment.
  std::unique_ptr<Listener> guest_listener =
      MustListen(UnixAddress{FakeVmm::GuestPortPath(dir_, 52)});
  ASSERT_NE(guest_listener, nullptr);
  UniqueFd guest;
  absl::StatusOr<FdWatch*> watch =
      loop_->Watch(guest_listener->fd(), Readiness::kReadable, [&](Readiness) {
        absl::StatusOr<std::optional<AcceptedConnection>> accepted =
            guest_listener->Accept();
        if (accepted.ok() && accepted->has_value()) {
          guest = std::move((*accepted)->fd);
          EXPECT_EQ(::send(guest.get(), "hello", 5, MSG_NOSIGNAL), 5);
        }
      });
  ASSERT_TRUE(watch.ok());
  watches_.push_back(*watch);
  std::optional<absl::StatusOr<VmmConnection>> result;
  PendingVmmConnect pending = ConnectVmmAsync(
      *loop_, Hybrid(52), {},
      [&](absl::StatusOr<VmmConnection> c) { result = std::move(c); });
  RunUntil([&] { return result.has_value(); });
  ASSERT_TRUE(result->ok()) << result->status();
  // The greeting is still in the socket, after the reply line only.
  char peeked[16];
  EXPECT_EQ(::recv((*result)->fd.get(), peeked, sizeof(peeked),
                   MSG_PEEK | MSG_DONTWAIT),
            5);
  // Later bytes follow it.
  EXPECT_EQ(::send(guest.get(), " world", 6, MSG_NOSIGNAL), 6);
  ::shutdown(guest.get(), SHUT_WR);
  HostSide& host = RunHost(**std::move(result), Codec::kNative, "");
  RunUntil([&] { return host.eof || host.finished; });
  EXPECT_EQ(host.response, "hello world");
  EXPECT_TRUE(host.eof);
}

TEST_F(HybridVmmTest,
       ConnectTimeoutCoversAGuestThatAcceptsButNeverSpeaksFirst) {
  FakeVmm::Options options;
  options.ok_with_guest_data = true;  // OK waits for the guest's bytes
  StartVmm(options);
  std::unique_ptr<Listener> guest_listener =
      MustListen(UnixAddress{FakeVmm::GuestPortPath(dir_, 52)});
  ASSERT_NE(guest_listener, nullptr);
  absl::StatusOr<VmmConnection> connection =
      ConnectVmm(Hybrid(52), Timeout(absl::Milliseconds(200)));
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kDeadlineExceeded);
}

// ── The flow contract under each VMM's close semantics ────────────────

TEST_F(HybridVmmTest, FramedKeepsTheFlowContractUnderFirecrackerSemantics) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  GuestListens(52, Codec::kFramed);
  absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
  ASSERT_TRUE(connection.ok()) << connection.status();
  HostSide& host = RunHost(*std::move(connection), Codec::kFramed, "request");
  RunUntil([&] {
    return host.finished && !guests_.empty() && guests_[0]->finished;
  });
  EXPECT_EQ(guests_[0]->request, "request");
  EXPECT_TRUE(guests_[0]->eof);
  EXPECT_EQ(host.response, "response:request");
  EXPECT_TRUE(host.eof);  // clean Eof after the whole response
  EXPECT_EQ(host.final_state, FlowState::kClosed) << host.error;
  EXPECT_TRUE(host.error.ok()) << host.error;
}

// The native codec's half-close is the transport's shutdown(SHUT_WR), which
// Firecracker and vhost-device-vsock turn into a full shutdown: the guest's
// answer is dropped, and the host sees a clean end of stream without it.
// Nothing on the host side can tell; hence framed by default for
// hybrid-vsock:// in the tools.
TEST_F(HybridVmmTest, NativeLosesTheResponseSilentlyUnderFirecrackerSemantics) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  GuestListens(52, Codec::kNative);
  absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
  ASSERT_TRUE(connection.ok()) << connection.status();
  HostSide& host = RunHost(*std::move(connection), Codec::kNative, "request");
  RunUntil([&] {
    return host.finished && !guests_.empty() && guests_[0]->finished;
  });
  EXPECT_EQ(guests_[0]->request, "request");  // the guest did answer...
  EXPECT_EQ(host.response, "");               // ...but nothing arrived,
  EXPECT_TRUE(host.eof);                      // and the end looks clean.
  EXPECT_EQ(host.final_state, FlowState::kClosed);
}

TEST_F(HybridVmmTest, NativeKeepsTheFlowContractWhereHalfCloseIsPassedOn) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kHalfClose;  // Cloud Hypervisor
  StartVmm(options);
  GuestListens(52, Codec::kNative);
  absl::StatusOr<VmmConnection> connection = ConnectVmm(Hybrid(52));
  ASSERT_TRUE(connection.ok()) << connection.status();
  HostSide& host = RunHost(*std::move(connection), Codec::kNative, "request");
  RunUntil([&] {
    return host.finished && !guests_.empty() && guests_[0]->finished;
  });
  EXPECT_EQ(host.response, "response:request");
  EXPECT_TRUE(host.eof);
  EXPECT_EQ(host.final_state, FlowState::kClosed) << host.error;
}

TEST_F(HybridVmmTest, AThousandConnectionsThroughTheVmmOnOneLoop) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  GuestListens(52, Codec::kFramed);
  constexpr int kConnections = 1000;
  std::vector<PendingVmmConnect> pending;
  int connected = 0;
  int failed = 0;
  for (int i = 0; i < kConnections; ++i) {
    ConnectOptions connect = Timeout(absl::Seconds(50));
    pending.push_back(ConnectVmmAsync(
        *loop_, Hybrid(52), connect,
        [this, i, &connected, &failed](absl::StatusOr<VmmConnection> c) {
          if (!c.ok()) {
            ++failed;
            ADD_FAILURE() << c.status();
            return;
          }
          ++connected;
          RunHost(*std::move(c), Codec::kFramed, absl::StrCat("request ", i));
        }));
  }
  auto all_done = [&] {
    if (connected + failed < kConnections) return false;
    for (const auto& host : hosts_) {
      if (!host->finished) return false;
    }
    return true;
  };
  RunUntil(all_done);
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(hosts_.size(), static_cast<size_t>(kConnections));
  int verified = 0;
  for (const auto& host : hosts_) {
    EXPECT_TRUE(host->eof);
    EXPECT_EQ(host->final_state, FlowState::kClosed) << host->error;
    EXPECT_THAT(host->response, StartsWith("response:request "));
    verified += host->eof && host->final_state == FlowState::kClosed;
  }
  EXPECT_EQ(verified, kConnections);
  EXPECT_EQ(vmm_->stats().answered, static_cast<uint64_t>(kConnections));
}

// ── hyperkit ──────────────────────────────────────────────────────────

TEST_F(HybridVmmTest, HyperkitTakesTheEighteenByteRequestAndHalfCloses) {
  FakeVmm::Options options;
  options.layout = FakeVmm::Layout::kHyperkit;
  options.guest_cid = 7;
  StartVmm(options);
  GuestListens(0x5000, Codec::kNative);
  absl::StatusOr<VmmConnection> connection =
      ConnectOnLoop(HyperkitAddress{dir_, 0x5000, 7}, {});
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(connection->reply, "");
  HostSide& host = RunHost(*std::move(connection), Codec::kNative, "request");
  RunUntil([&] { return host.finished; });
  EXPECT_EQ(host.response, "response:request");
  EXPECT_EQ(host.final_state, FlowState::kClosed) << host.error;
}

TEST_F(HybridVmmTest, AHyperkitRefusalShowsAsTheEndOfTheStream) {
  FakeVmm::Options options;
  options.layout = FakeVmm::Layout::kHyperkit;
  StartVmm(options);  // no guest listener: hyperkit closes, no reply
  absl::StatusOr<VmmConnection> connection =
      ConnectVmm(HyperkitAddress{dir_, 0x5000, 3});
  ASSERT_TRUE(connection.ok()) << connection.status();  // no reply to wait for
  HostSide& host = RunHost(*std::move(connection), Codec::kFramed, "request");
  RunUntil([&] { return host.finished; });
  EXPECT_EQ(host.response, "");
  EXPECT_EQ(host.final_state, FlowState::kFailed);  // framed: truncated
}

// ── Guest → host ──────────────────────────────────────────────────────

TEST_F(HybridVmmTest, ListensWhereEachVmmDeliversGuestConnections) {
  EXPECT_EQ(VmmListenSocket(Hybrid(1234)).path,
            absl::StrCat(VmmSocket(), "_1234"));
  EXPECT_EQ(VmmListenSocket(HyperkitAddress{"/d", 0x1234, 3}).path,
            "/d/00000002.00001234");
  EXPECT_EQ(VmmConnectSocket(HyperkitAddress{"/d", 1, 3}).path, "/d/connect");
  EXPECT_EQ(VmmListenOptions().backlog, 1024);
  for (FakeVmm::Layout layout :
       {FakeVmm::Layout::kHybridVsock, FakeVmm::Layout::kHyperkit}) {
    vmm_.reset();
    FakeVmm::Options options;
    options.layout = layout;
    StartVmm(options);
    VmmSocketAddress address =
        layout == FakeVmm::Layout::kHybridVsock
            ? VmmSocketAddress(Hybrid(1234))
            : VmmSocketAddress(HyperkitAddress{dir_, 1234, 3});
    // A stale socket file from an earlier run is replaced.
    MakeStaleSocket(VmmListenSocket(address).path);
    absl::StatusOr<std::unique_ptr<Listener>> listener = ListenVmm(address);
    ASSERT_TRUE(listener.ok()) << listener.status();
    absl::StatusOr<UniqueFd> guest = vmm_->GuestConnect(1234);
    ASSERT_TRUE(guest.ok()) << guest.status();
    std::optional<AcceptedConnection> accepted;
    RunUntil([&] {
      absl::StatusOr<std::optional<AcceptedConnection>> next =
          (*listener)->Accept();
      if (next.ok() && next->has_value()) accepted = std::move(**next);
      return accepted.has_value();
    });
    // Nothing precedes the stream: the guest's first bytes are the first.
    ASSERT_EQ(::send(guest->get(), "ping", 4, MSG_NOSIGNAL), 4);
    ::shutdown(guest->get(), SHUT_WR);
    GuestSide& served = ServeGuest(std::move(accepted->fd), Codec::kNative);
    RunUntil([&] { return served.finished; });
    EXPECT_EQ(served.request, "ping");
    std::string answer;
    char buffer[64];
    ssize_t n;
    while ((n = ::recv(guest->get(), buffer, sizeof(buffer), 0)) > 0) {
      answer.append(buffer, static_cast<size_t>(n));
      if (answer.size() >= 13) break;
    }
    EXPECT_EQ(answer, "response:ping");
  }
}

TEST_F(HybridVmmTest, ListenErrorsNameTheUri) {
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      ListenVmm(HybridVsockAddress{"/nonexistent-dir/v.sock", 5});
  ASSERT_FALSE(listener.ok());
  EXPECT_THAT(std::string(listener.status().message()),
              StartsWith("listen hybrid-vsock:///nonexistent-dir/v.sock:5: "));
}

TEST_F(HybridVmmTest, BadOptionsAreInvalidArgument) {
  absl::StatusOr<VmmConnection> connection =
      ConnectVmm(Hybrid(52), Timeout(absl::InfiniteDuration()));
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kInvalidArgument);
  connection = ConnectVmm(HybridVsockAddress{std::string(200, 'x'), 1});
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvsock
