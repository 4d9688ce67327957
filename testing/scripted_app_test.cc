// The application loops of testing/scripted_app.h against a scripted flow
// that yields exactly the results a test lists, and against a real Flow.
#include "testing/scripted_app.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "gtest/gtest.h"

namespace hvsock::testing {
namespace {

// A stand-in for a flow: Read() hands out the listed results in order, then
// WouldBlock; Write() accepts until `accept` bytes are taken, then answers
// `refusal` (kWouldBlock by default).
struct ScriptedFlow {
  std::deque<absl::StatusOr<ReadResult>> reads;
  std::vector<size_t> read_limits;  // max_bytes of every Read()
  size_t accept = SIZE_MAX;
  absl::Status refusal = FlowError(FlowErrorKind::kWouldBlock, "full");
  std::string written;
  std::vector<size_t> write_sizes;

  absl::StatusOr<ReadResult> Read(size_t max_bytes) {
    read_limits.push_back(max_bytes);
    if (reads.empty()) return ReadResult::WouldBlock();
    absl::StatusOr<ReadResult> next = std::move(reads.front());
    reads.pop_front();
    return next;
  }
  absl::Status Write(absl::Cord data) {
    if (written.size() + data.size() > accept) return refusal;
    written += std::string(data);
    write_sizes.push_back(data.size());
    return absl::OkStatus();
  }
};

ReadResult Data(const char* bytes) {
  return ReadResult::Data(absl::Cord(bytes));
}

TEST(ReadAvailable, CollectsEveryPieceUntilWouldBlock) {
  ScriptedFlow flow;
  flow.reads = {Data("hel"), Data("lo"), ReadResult::WouldBlock(), Data("!")};
  ReadLog log;
  EXPECT_EQ(ReadAvailable(flow, log, 3), 5u);
  EXPECT_EQ(log.received, "hello");
  EXPECT_FALSE(log.ReadEnded());
  EXPECT_EQ(flow.read_limits, (std::vector<size_t>{3, 3, 3}));
  // The byte after the WouldBlock waits for the next call.
  EXPECT_EQ(ReadAvailable(flow, log), 1u);
  EXPECT_EQ(log.received, "hello!");
}

TEST(ReadAvailable, EofEndsReadingAndNothingIsReadAfterIt) {
  ScriptedFlow flow;
  flow.reads = {Data("bye"), ReadResult::Eof(), Data("late")};
  ReadLog log;
  ReadAvailable(flow, log);
  EXPECT_TRUE(log.eof);
  EXPECT_TRUE(log.ReadEnded());
  EXPECT_EQ(ReadAvailable(flow, log), 0u);
  EXPECT_EQ(log.received, "bye");
  EXPECT_EQ(flow.reads.size(), 1u);
}

TEST(ReadAvailable, AnErrorIsKeptAfterTheDataBeforeIt) {
  ScriptedFlow flow;
  flow.reads = {Data("partial"),
                FlowError(FlowErrorKind::kReset, "peer reset")};
  ReadLog log;
  ReadAvailable(flow, log);
  EXPECT_EQ(log.received, "partial");
  EXPECT_TRUE(IsFlowError(log.read_error, FlowErrorKind::kReset))
      << log.read_error;
  EXPECT_FALSE(log.eof);
  EXPECT_TRUE(log.ReadEnded());
}

TEST(ReadUntilBlocked, ReturnsWhatEndedTheRun) {
  ScriptedFlow flow;
  flow.reads = {Data("a"), Data("b"), ReadResult::Eof()};
  size_t pieces = 0;
  absl::StatusOr<ReadResult> end =
      ReadUntilBlocked(flow, [&](absl::Cord) { ++pieces; });
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->is_eof());
  EXPECT_EQ(pieces, 2u);
}

TEST(WriteUntilBlocked, WritesInPiecesUntilPushedBackThenResumes) {
  ScriptedFlow flow;
  flow.accept = 10;
  const std::string bytes = "0123456789abcdef";
  size_t written = 0;
  ASSERT_TRUE(WriteUntilBlocked(flow, bytes, &written, 4).ok());
  EXPECT_EQ(written, 8u);  // a third write of 4 would pass the 10
  EXPECT_EQ(flow.write_sizes, (std::vector<size_t>{4, 4}));
  flow.accept = SIZE_MAX;  // kWritable
  ASSERT_TRUE(WriteUntilBlocked(flow, bytes, &written, 4).ok());
  EXPECT_EQ(written, bytes.size());
  EXPECT_EQ(flow.written, bytes);
}

TEST(WriteUntilBlocked, ReturnsAnErrorOtherThanWouldBlock) {
  ScriptedFlow flow;
  flow.accept = 0;
  flow.refusal = FlowError(FlowErrorKind::kClosed, "closed");
  size_t written = 0;
  absl::Status status = WriteUntilBlocked(flow, "data", &written, 2);
  EXPECT_TRUE(IsFlowError(status, FlowErrorKind::kClosed)) << status;
  EXPECT_EQ(written, 0u);
}

TEST(WriteRepeatedly, WritesWholeMessagesUntilTheCountIsSpentOrPushedBack) {
  ScriptedFlow flow;
  flow.accept = 12;
  const absl::Cord message("abcde");
  uint64_t to_write = 13;
  ASSERT_TRUE(WriteRepeatedly(flow, message, &to_write).ok());
  EXPECT_EQ(flow.written, "abcdeabcde");  // a third would pass the 12
  EXPECT_EQ(to_write, 3u);
  flow.accept = SIZE_MAX;
  ASSERT_TRUE(WriteRepeatedly(flow, message, &to_write).ok());
  EXPECT_EQ(flow.written, "abcdeabcdeabcde");  // the last one whole
  EXPECT_EQ(to_write, 0u);
}

TEST(WriteRepeatedly, ReturnsAnErrorOtherThanWouldBlock) {
  ScriptedFlow flow;
  flow.accept = 0;
  flow.refusal = FlowError(FlowErrorKind::kClosed, "closed");
  uint64_t to_write = 10;
  EXPECT_TRUE(IsFlowError(WriteRepeatedly(flow, absl::Cord("x"), &to_write),
                          FlowErrorKind::kClosed));
  EXPECT_EQ(to_write, 10u);
}

TEST(ScriptedApp, WritesClosesOnceAllIsWrittenAndReads) {
  ScriptedFlow flow;
  flow.accept = 6;
  flow.reads = {Data("in")};
  ScriptedApp app;
  app.to_send = "outgoing";
  app.max_write = 3;
  int closes = 0;
  auto close = [&] {
    ++closes;
    return absl::OkStatus();
  };

  EXPECT_TRUE(app.Act(flow, close));
  EXPECT_EQ(app.sent, 6u);
  EXPECT_EQ(closes, 0);  // not everything is written yet
  EXPECT_EQ(app.received, "in");

  EXPECT_FALSE(app.Act(flow, close));  // still pushed back: nothing changes

  flow.accept = SIZE_MAX;
  EXPECT_TRUE(app.Act(flow, close));
  EXPECT_EQ(flow.written, "outgoing");
  EXPECT_TRUE(app.closed);
  EXPECT_EQ(closes, 1);
  app.Act(flow, close);
  EXPECT_EQ(closes, 1);  // closes once
}

TEST(ScriptedApp, AFailedCloseIsItsWriteError) {
  ScriptedFlow flow;
  ScriptedApp app;
  app.to_send = "x";
  app.Act(flow, [] { return FlowError(FlowErrorKind::kClosed, "twice"); });
  EXPECT_TRUE(IsFlowError(app.write_error, FlowErrorKind::kClosed));
}

TEST(ScriptedApp,
     AStalledReaderReadsNothingAndAnAppThatKeepsItsFlowOpenNeverCloses) {
  ScriptedFlow flow;
  flow.reads = {Data("unread")};
  ScriptedApp app;
  app.reads = false;
  app.close_when_done = false;
  app.Act(flow, [] { return absl::OkStatus(); });
  EXPECT_EQ(app.received, "");
  EXPECT_FALSE(app.closed);
  EXPECT_EQ(flow.reads.size(), 1u);
}

// Two real flows joined by hand: the application loops keep the contract.
TEST(ScriptedApp, MovesAPayloadBetweenTwoRealFlows) {
  FlowOptions options;
  options.send_limit = 4096;
  Flow a = Flow::Create(options).value();
  Flow b = Flow::Create(options).value();
  ScriptedApp sender;
  sender.to_send = std::string(100 * 1000, 'x');
  sender.max_write = 1000;
  ScriptedApp receiver;
  receiver.close_when_done = false;
  const absl::Time now = absl::UnixEpoch();
  for (int round = 0; round < 10000 && !receiver.eof; ++round) {
    sender.Act(a, [&] { return a.Close(now); });
    // The transport: every byte A transmits that B takes, then A's end.
    while (a.HasTransmit()) {
      absl::string_view pieces[8];
      const size_t count = a.PeekTransmit(absl::MakeSpan(pieces));
      size_t moved = 0;
      for (size_t i = 0; i < count; ++i) {
        const size_t taken = b.HandleReceived(pieces[i]);
        moved += taken;
        if (taken < pieces[i].size()) break;
      }
      a.ConsumeTransmitted(moved);
      if (moved == 0) break;  // B's buffer is full until the receiver reads
    }
    if (a.PollShutdownWrite()) b.HandleTransportEof();
    receiver.Act(b, [] { return absl::OkStatus(); });
  }
  EXPECT_TRUE(receiver.eof);
  EXPECT_EQ(receiver.received, sender.to_send);
}

}  // namespace
}  // namespace hvsock::testing
