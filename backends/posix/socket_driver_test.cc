// SocketDriver over real kernel sockets (AF_UNIX socketpairs): the flow
// contract in both codecs, half-close, close-wait and its timeout, resets,
// and tiny socket buffers that force partial sends. The clock is virtual;
// every wait on the kernel is a bounded poll().
#include "backends/posix/socket_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/posix/test_sockets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"
#include "testing/scripted_app.h"

namespace hvsock {
namespace {

using ::hvsock::testing::SocketPair;

using ::testing::HasSubstr;

void ShrinkBuffers(int fd) {
  int tiny = 1;  // the kernel rounds this up to its minimum
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &tiny, sizeof(tiny)), 0);
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny)), 0);
}

// Makes a raw peer socket blocking, with timeouts so no test can hang.
void MakeBlockingWithTimeouts(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  ASSERT_EQ(::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK), 0);
  timeval five_seconds{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds,
               sizeof(five_seconds));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &five_seconds,
               sizeof(five_seconds));
}

// One end: a driver with its flow, and a scripted application. Commands go
// through the driver, whose wake callback records that a drive is due.
struct End : testing::ScriptedApp {
  explicit End(const FlowOptions& options, UniqueFd fd)
      : driver(Flow::Create(options).value(), std::move(fd),
               [this] { woken = true; }) {
    max_write = 16 * 1024 + 7;
  }

  SocketDriver driver;
  const Flow& flow = driver.flow();
  bool woken = true;           // a new driver is driven once to start
  DriveResult last;            // what the last Drive() asked for
  std::string send_after_eof;  // written once Eof has been read
  bool close_completed = false;
  bool failed_event = false;

  // The application's turn: write what the flow accepts, close when done,
  // read everything available, collect events. Returns whether it did
  // anything.
  bool Act(absl::Time now) {
    bool acted = ScriptedApp::Act(driver, [&] { return driver.Close(now); });
    if (eof && !send_after_eof.empty()) {
      to_send += std::exchange(send_after_eof, "");
      acted = true;
    }
    while (std::optional<FlowEvent> event = driver.PollEvent()) {
      if (*event == FlowEvent::kCloseCompleted) close_completed = true;
      if (*event == FlowEvent::kFailed) failed_event = true;
    }
    return acted;
  }

  std::string Describe() const {
    return absl::StrCat(
        "state=", FlowStateName(flow.state()), " fd=", driver.fd(),
        " interest=", static_cast<int>(last.interest), " sent=", sent, "/",
        to_send.size(), " received=", received.size(), " eof=", eof,
        " wants_read=", flow.WantsRead(), " has_transmit=", flow.HasTransmit(),
        " buffered=", flow.stats().receive_buffered,
        " queued=", flow.stats().send_queued,
        " error=", flow.error().ToString());
  }

  void Drive(absl::Time now, Readiness ready) {
    woken = false;
    last = driver.Drive(now, ready);
    if (last.finished) driver.CloseTransport();
  }
};

// Runs applications and drivers, waiting on the kernel with poll(), until
// `done` holds. Returns false (with a test failure) if the ends stop making
// progress for a whole second or the iteration bound is hit.
template <typename Done>
bool RunUntil(std::array<End*, 2> ends, absl::Time now, Done done) {
  for (int iteration = 0; iteration < 200000; ++iteration) {
    // The applications act, then the drivers do the IO their commands
    // asked for through the wake callback, or that the last drive left
    // (its read budget spent).
    for (End* end : ends) {
      for (int round = 0; round < 100; ++round) {
        bool acted = end->Act(now);
        const bool due = end->woken || end->last.drive_again;
        if (due) end->Drive(now, Readiness::kNone);
        if (!acted && !due) break;
      }
    }
    if (done()) return true;
    pollfd fds[2];
    int count = 0;
    End* polled[2];
    for (End* end : ends) {
      Readiness interest = end->last.interest;
      if (end->driver.fd() < 0 || !Any(interest)) continue;
      fds[count].fd = end->driver.fd();
      fds[count].events = static_cast<int16_t>(
          (Any(interest & Readiness::kReadable) ? POLLIN : 0) |
          (Any(interest & Readiness::kWritable) ? POLLOUT : 0));
      fds[count].revents = 0;
      polled[count++] = end;
    }
    if (count == 0) continue;  // only application work left
    int ready = ::poll(fds, count, 1000);
    if (ready <= 0) {
      std::string why;
      for (End* end : ends) absl::StrAppend(&why, "\n  ", end->Describe());
      ADD_FAILURE() << "no progress for a second (poll returned " << ready
                    << ")" << why;
      return false;
    }
    for (int i = 0; i < count; ++i) {
      Readiness r = Readiness::kNone;
      if (fds[i].revents & POLLIN) r = r | Readiness::kReadable;
      if (fds[i].revents & POLLOUT) r = r | Readiness::kWritable;
      if (fds[i].revents & (POLLERR | POLLHUP)) r = r | Readiness::kError;
      if (Any(r)) polled[i]->Drive(now, r);
    }
  }
  ADD_FAILURE() << "iteration bound reached";
  return false;
}

FlowOptions WithCodec(Codec codec) {
  FlowOptions options;
  options.codec = codec;
  return options;
}

class SocketDriverTest : public ::testing::TestWithParam<Codec> {
 protected:
  FlowOptions options() const { return WithCodec(GetParam()); }
  absl::Time now_ = absl::UnixEpoch();
};

INSTANTIATE_TEST_SUITE_P(Codecs, SocketDriverTest,
                         ::testing::Values(Codec::kNative, Codec::kFramed),
                         [](const auto& info) {
                           return std::string(CodecName(info.param));
                         });

TEST_P(SocketDriverTest, TransfersBothWaysThenCloseCompletesOnBothEnds) {
  auto fds = SocketPair();
  End a(options(), std::move(fds[0]));
  End b(options(), std::move(fds[1]));
  a.to_send = testing::PatternBytes(1 << 20, 1);
  b.to_send = testing::PatternBytes(700 * 1000 + 3, 2);
  ASSERT_TRUE(RunUntil({&a, &b}, now_, [&] {
    return a.flow.IsFinished() && b.flow.IsFinished() && a.eof && b.eof;
  }));
  EXPECT_EQ(a.received, b.to_send);
  EXPECT_EQ(b.received, a.to_send);
  for (End* end : {&a, &b}) {
    EXPECT_EQ(end->flow.state(), FlowState::kClosed);
    EXPECT_TRUE(end->close_completed);
    EXPECT_TRUE(end->read_error.ok()) << end->read_error;
    EXPECT_EQ(end->driver.fd(), -1) << "transport not closed";
    EXPECT_GT(end->driver.stats().sends, 0u);
  }
}

// An idle flow holds no receive block: the driver ends its read's loan and
// releases the block once the socket is drained (a regression: the block
// stayed while its loan was open, 64 KiB per idle flow).
TEST_P(SocketDriverTest, AnIdleFlowHoldsNoReceiveBlock) {
  auto fds = SocketPair();
  End a(options(), std::move(fds[0]));
  End b(options(), std::move(fds[1]));
  a.to_send = testing::PatternBytes(300 * 1000, 3);
  a.close_when_done = false;
  b.close_when_done = false;
  ASSERT_TRUE(RunUntil({&a, &b}, now_,
                       [&] { return b.received.size() == a.to_send.size(); }));
  EXPECT_EQ(b.received, a.to_send);
  EXPECT_EQ(b.flow.stats().receive_memory, 0u);
  EXPECT_EQ(a.flow.stats().receive_memory, 0u);
}

TEST_P(SocketDriverTest, HalfCloseLetsThePeerAnswerAfterEof) {
  auto fds = SocketPair();
  End client(options(), std::move(fds[0]));
  End server(options(), std::move(fds[1]));
  client.to_send = "request";
  server.close_when_done = false;  // answers first, then closes
  server.send_after_eof = testing::PatternBytes(300 * 1000, 3);
  ASSERT_TRUE(RunUntil({&client, &server}, now_, [&] {
    return server.eof && server.sent == server.to_send.size();
  }));
  // The client's write side is closed; its read side still works.
  EXPECT_TRUE(client.closed);
  EXPECT_TRUE(IsFlowError(client.driver.Write("late"), FlowErrorKind::kClosed));
  EXPECT_FALSE(client.flow.IsFinished());
  server.close_when_done = true;
  ASSERT_TRUE(RunUntil({&client, &server}, now_, [&] {
    return client.flow.IsFinished() && server.flow.IsFinished() && client.eof;
  }));
  EXPECT_EQ(server.received, "request");
  EXPECT_EQ(client.received, server.to_send);
  EXPECT_TRUE(client.close_completed);
  EXPECT_TRUE(server.close_completed);
}

TEST_P(SocketDriverTest, CloseWaitsForThePeerThenTimesOut) {
  auto fds = SocketPair();
  FlowOptions opts = options();
  opts.close_timeout = absl::Seconds(5);
  End a(opts, std::move(fds[0]));
  End b(options(), std::move(fds[1]));
  a.to_send = "bye";
  b.close_when_done = false;  // never closes
  ASSERT_TRUE(RunUntil({&a, &b}, now_, [&] {
    return a.flow.state() == FlowState::kCloseWait && b.eof;
  }));
  EXPECT_EQ(a.last.deadline, now_ + absl::Seconds(5));
  // Early timer calls do nothing.
  a.Drive(now_ + absl::Seconds(4), Readiness::kNone);
  EXPECT_EQ(a.flow.state(), FlowState::kCloseWait);
  a.Drive(now_ + absl::Seconds(5), Readiness::kNone);
  EXPECT_EQ(a.flow.state(), FlowState::kFailed);
  EXPECT_TRUE(IsFlowError(a.flow.error(), FlowErrorKind::kCloseTimeout))
      << a.flow.error();
  EXPECT_EQ(a.driver.fd(), -1);
  EXPECT_EQ(b.received, "bye");
}

TEST_P(SocketDriverTest, PeerClosingWithUnreadDataIsAResetNotEof) {
  auto fds = SocketPair();
  End a(options(), std::move(fds[0]));
  UniqueFd raw = std::move(fds[1]);
  a.to_send = "never read";
  a.close_when_done = false;
  ASSERT_TRUE(RunUntil({&a, &a}, now_,
                       [&] { return a.sent > 0 && !a.flow.HasTransmit(); }));
  std::string last_words(4, '\0');
  if (GetParam() == Codec::kFramed) EncodeFrameHeader(6, last_words.data());
  last_words = (GetParam() == Codec::kFramed ? last_words : "") + "before";
  ASSERT_EQ(::send(raw.get(), last_words.data(), last_words.size(), 0),
            static_cast<ssize_t>(last_words.size()));
  raw.reset();  // unread bytes: the kernel resets the connection
  ASSERT_TRUE(RunUntil({&a, &a}, now_, [&] { return a.flow.IsFinished(); }));
  EXPECT_EQ(a.received, "before");  // bytes queued before the reset
  EXPECT_FALSE(a.eof);
  EXPECT_TRUE(IsFlowError(a.read_error, FlowErrorKind::kReset)) << a.read_error;
  EXPECT_THAT(a.read_error.message(), HasSubstr("Connection reset by peer"));
}

TEST_P(SocketDriverTest, WritingToAVanishedPeerIsAResetWithoutSigpipe) {
  auto fds = SocketPair();
  FlowOptions opts = options();
  End a(opts, std::move(fds[0]));
  UniqueFd raw = std::move(fds[1]);
  if (GetParam() == Codec::kFramed) {
    // A framed peer ends its writes with a marker; it then vanishes.
    char marker[4];
    EncodeFrameHeader(kFrameShutdownWrite, marker);
    ASSERT_EQ(::write(raw.get(), marker, 4), 4);
  }
  ::shutdown(raw.get(), SHUT_WR);
  a.close_when_done = false;
  ASSERT_TRUE(RunUntil({&a, &a}, now_, [&] { return a.eof; }));
  raw.reset();
  a.to_send = testing::PatternBytes(100000, 4);  // the peer is gone: EPIPE
  ASSERT_TRUE(RunUntil({&a, &a}, now_, [&] { return a.flow.IsFinished(); }));
  EXPECT_TRUE(IsFlowError(a.flow.error(), FlowErrorKind::kReset))
      << a.flow.error();
  EXPECT_THAT(a.flow.error().message(), HasSubstr("send"));
}

TEST_P(SocketDriverTest, TinySocketBuffersForcePartialSendsButLoseNothing) {
  auto fds = SocketPair();
  ShrinkBuffers(fds[0].get());
  ShrinkBuffers(fds[1].get());
  End a(options(), std::move(fds[0]));
  End b(options(), std::move(fds[1]));
  a.to_send = testing::PatternBytes(1 << 20, 5);
  b.to_send = testing::PatternBytes(333333, 6);
  ASSERT_TRUE(RunUntil({&a, &b}, now_, [&] {
    return a.flow.IsFinished() && b.flow.IsFinished() && a.eof && b.eof;
  }));
  EXPECT_EQ(a.received, b.to_send);
  EXPECT_EQ(b.received, a.to_send);
  EXPECT_EQ(a.flow.state(), FlowState::kClosed);
  EXPECT_EQ(b.flow.state(), FlowState::kClosed);
  EXPECT_GT(a.driver.stats().short_sends + a.driver.stats().would_block, 0u);
  EXPECT_GT(a.driver.stats().sends, 10u);
}

TEST_P(SocketDriverTest, AStalledReaderStopsReadingTheSocket) {
  auto fds = SocketPair();
  FlowOptions opts = options();
  opts.receive_limit = 64 * 1024;
  End a(opts, std::move(fds[0]));
  End b(options(), std::move(fds[1]));
  a.reads = false;
  a.close_when_done = false;
  b.to_send = testing::PatternBytes(4 << 20, 7);
  b.close_when_done = false;
  // b fills a's receive buffer, then the socket, then its own send queue.
  ASSERT_TRUE(RunUntil({&a, &b}, now_, [&] {
    return a.flow.stats().receive_buffered >= opts.receive_limit &&
           Any(b.last.interest & Readiness::kWritable);
  }));
  EXPECT_FALSE(a.flow.WantsRead());
  EXPECT_FALSE(Any(a.last.interest & Readiness::kReadable));
  EXPECT_LT(b.sent, b.to_send.size());
  // Reading again resumes the stream.
  a.reads = true;
  b.close_when_done = true;
  a.close_when_done = true;
  ASSERT_TRUE(RunUntil({&a, &b}, now_, [&] {
    return a.flow.IsFinished() && b.flow.IsFinished() && a.eof;
  }));
  EXPECT_EQ(a.received, b.to_send);
}

TEST_P(SocketDriverTest, AbortIsNeverMistakenForACleanEndByAFramedPeer) {
  auto fds = SocketPair();
  End a(options(), std::move(fds[0]));
  End b(options(), std::move(fds[1]));
  a.to_send = "partial";
  a.close_when_done = false;
  b.close_when_done = false;
  ASSERT_TRUE(
      RunUntil({&a, &b}, now_, [&] { return b.received == "partial"; }));
  a.driver.Abort();
  EXPECT_TRUE(a.woken);
  a.Drive(now_, Readiness::kNone);
  EXPECT_EQ(a.driver.fd(), -1);
  ASSERT_TRUE(
      RunUntil({&a, &b}, now_, [&] { return b.eof || !b.read_error.ok(); }));
  if (GetParam() == Codec::kFramed) {
    EXPECT_FALSE(b.eof);
    EXPECT_TRUE(IsFlowError(b.read_error, FlowErrorKind::kTruncated))
        << b.read_error;
  } else {
    // Over AF_UNIX the native codec cannot tell an abort from a clean end:
    // the kernel reports EOF either way. (TCP and vsock peers see a reset.)
    EXPECT_TRUE(b.eof);
  }
}

TEST(SocketDriverFramed, TruncatedFrameIsDataLossAfterTheBytesBeforeIt) {
  auto fds = SocketPair();
  End a(WithCodec(Codec::kFramed), std::move(fds[0]));
  a.close_when_done = false;
  UniqueFd raw = std::move(fds[1]);
  MakeBlockingWithTimeouts(raw.get());
  std::string wire(4, '\0');
  EncodeFrameHeader(5, wire.data());
  wire += "hello";
  std::string cut(4, '\0');
  EncodeFrameHeader(100, cut.data());
  wire += cut + "only part";
  ASSERT_EQ(::write(raw.get(), wire.data(), wire.size()),
            static_cast<ssize_t>(wire.size()));
  raw.reset();
  ASSERT_TRUE(RunUntil({&a, &a}, absl::UnixEpoch(),
                       [&] { return !a.read_error.ok(); }));
  EXPECT_EQ(a.received, "helloonly part");
  EXPECT_TRUE(IsFlowError(a.read_error, FlowErrorKind::kTruncated))
      << a.read_error;
  EXPECT_THAT(a.read_error.message(), HasSubstr("middle of a frame"));
}

TEST(SocketDriverFramed, OversizedFrameIsAProtocolErrorNamingTheValue) {
  auto fds = SocketPair();
  End a(WithCodec(Codec::kFramed), std::move(fds[0]));
  a.close_when_done = false;
  UniqueFd raw = std::move(fds[1]);
  std::string wire(4, '\0');
  EncodeFrameHeader(0x10000000, wire.data());
  ASSERT_EQ(::write(raw.get(), wire.data(), wire.size()), 4);
  ASSERT_TRUE(RunUntil({&a, &a}, absl::UnixEpoch(),
                       [&] { return !a.read_error.ok(); }));
  EXPECT_TRUE(IsFlowError(a.read_error, FlowErrorKind::kProtocol));
  EXPECT_THAT(a.read_error.message(), HasSubstr("0x10000000"));
  EXPECT_EQ(a.driver.fd(), -1);
}

TEST(SocketDriver, InterestAsksOnlyForWhatItDoesNotKnow) {
  auto fds = SocketPair();
  SocketDriver driver(Flow::Create(FlowOptions{}).value(), std::move(fds[0]),
                      nullptr);
  // Before any IO the driver assumes the socket may be ready; the read
  // finds nothing, so now it waits for readability.
  DriveResult first = driver.Drive(absl::UnixEpoch());
  EXPECT_EQ(first.interest, Readiness::kReadable);
  EXPECT_FALSE(first.drive_again);
  EXPECT_FALSE(first.finished);
  EXPECT_EQ(driver.stats().would_block, 1u);
  EXPECT_EQ(::write(fds[1].get(), "x", 1), 1);
  DriveResult second = driver.Drive(absl::UnixEpoch(), Readiness::kReadable);
  absl::StatusOr<ReadResult> read = driver.Read();
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->is_data());
  EXPECT_EQ(std::string(read->data()), "x");
  EXPECT_EQ(second.interest, Readiness::kReadable);
}

TEST(SocketDriver, OneReadinessReportDeliversDataAndTheEofBehindIt) {
  // An edge-triggered loop reports bytes and the EOF queued behind them as
  // one edge; the driver must not stop at the short read of the bytes.
  auto fds = SocketPair();
  SocketDriver driver(Flow::Create(FlowOptions{}).value(), std::move(fds[0]),
                      nullptr);
  driver.Drive(absl::UnixEpoch());  // EAGAIN: now waiting for an edge
  ASSERT_EQ(::write(fds[1].get(), "abc", 3), 3);
  ASSERT_EQ(::shutdown(fds[1].get(), SHUT_WR), 0);
  driver.Drive(absl::UnixEpoch(), Readiness::kReadable);
  absl::StatusOr<ReadResult> data = driver.Read();
  ASSERT_TRUE(data.ok() && data->is_data());
  EXPECT_EQ(std::string(data->data()), "abc");
  absl::StatusOr<ReadResult> eof = driver.Read();
  ASSERT_TRUE(eof.ok());
  EXPECT_TRUE(eof->is_eof());
}

TEST(SocketDriver, AcceptsABlockingSocketAndMakesItNonBlocking) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  UniqueFd other(fds[1]);
  SocketDriver driver(Flow::Create(FlowOptions{}).value(), UniqueFd(fds[0]),
                      nullptr);
  EXPECT_NE(::fcntl(driver.fd(), F_GETFL) & O_NONBLOCK, 0);
  // Must not block.
  EXPECT_EQ(driver.Drive(absl::UnixEpoch()).interest, Readiness::kReadable);
}

// The seam cannot be misused by forgetting a drive: every command that
// leaves IO to do calls the loop's wake callback; a command that changed
// nothing (a read that would block) does not, so a quiet flow lets the loop
// sleep.
TEST(SocketDriver, CommandsThatLeaveIoToDoWakeTheLoop) {
  auto fds = SocketPair();
  int wakes = 0;
  SocketDriver driver(Flow::Create(FlowOptions{}).value(), std::move(fds[0]),
                      [&] { ++wakes; });
  driver.Drive(absl::UnixEpoch());
  ASSERT_TRUE(driver.Read().ok());  // WouldBlock: nothing to do
  EXPECT_EQ(wakes, 0);
  ASSERT_TRUE(driver.Write(absl::string_view("hello")).ok());
  EXPECT_EQ(wakes, 1);
  ASSERT_TRUE(driver.Close(absl::UnixEpoch()).ok());
  EXPECT_EQ(wakes, 2);
  DriveResult sent = driver.Drive(absl::UnixEpoch());
  EXPECT_EQ(driver.flow().stats().bytes_out, 5u);
  EXPECT_FALSE(sent.finished);
  driver.Abort();
  EXPECT_EQ(wakes, 3);
  EXPECT_TRUE(driver.Drive(absl::UnixEpoch()).finished);
}

// A flow that stops at its read budget with bytes still waiting says so: an
// edge-triggered loop gets no new edge for them. (A pipe holds more than
// the budget at once, which an AF_UNIX socket buffer does not.)
TEST(SocketDriver, ASpentReadBudgetAsksForAnotherDriveAtOnce) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd writer(pipe_fds[1]);
  ASSERT_GE(::fcntl(writer.get(), F_SETPIPE_SZ, 1 << 20), 1 << 20);
  const std::string bytes =
      testing::PatternBytes(2 * SocketDriver::kReadBudget, 9);
  ASSERT_EQ(::write(writer.get(), bytes.data(), bytes.size()),
            static_cast<ssize_t>(bytes.size()));
  FlowOptions options;
  options.receive_limit = 4 * SocketDriver::kReadBudget;
  SocketDriver driver(Flow::Create(options).value(), UniqueFd(pipe_fds[0]),
                      nullptr);
  DriveResult first = driver.Drive(absl::UnixEpoch(), Readiness::kReadable);
  EXPECT_TRUE(first.drive_again);
  EXPECT_EQ(driver.flow().stats().receive_buffered, SocketDriver::kReadBudget);
  DriveResult second = driver.Drive(absl::UnixEpoch());
  EXPECT_EQ(driver.flow().stats().receive_buffered, bytes.size());
  EXPECT_TRUE(second.drive_again);  // not yet known to be drained
  DriveResult third = driver.Drive(absl::UnixEpoch());
  EXPECT_FALSE(third.drive_again);  // EAGAIN: drained
  EXPECT_EQ(third.interest, Readiness::kReadable);
}

// The driver speaks to sockets only (sendmsg): a descriptor that is not a
// socket fails the flow on its first send, naming the call and the reason,
// instead of being written some other way.
TEST(SocketDriver, SendingOnADescriptorThatIsNotASocketFailsTheFlow) {
  // /dev/null reads as an empty stream (the peer's end) and takes writes.
  const int null_fd = ::open("/dev/null", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(null_fd, 0);
  SocketDriver driver(Flow::Create(FlowOptions()).value(), UniqueFd(null_fd),
                      nullptr);
  ASSERT_TRUE(driver.Write(absl::string_view("bytes")).ok());
  driver.Drive(absl::UnixEpoch(), Readiness::kReadable | Readiness::kWritable);
  EXPECT_EQ(driver.flow().state(), FlowState::kFailed);
  EXPECT_THAT(driver.flow().error().message(), HasSubstr("send"));
  EXPECT_THAT(driver.flow().error().message(),
              HasSubstr(std::strerror(ENOTSOCK)));
}

}  // namespace
}  // namespace hvsock
