// The reference model against the real thing: a rapidcheck state-machine
// test (rc::state) drives two real flows, joined by in-memory pipes, and a
// FlowModel for each with the same random commands — writes and writevs,
// reads, close, abort, sends and chunked receives, the native shutdown,
// time passing to just before and exactly at deadlines, a scripted peer's
// end markers, Data and garbage injected into the stream, transport EOF,
// cuts and resets, backend misuse — and after every command compares
// everything either flow lets anyone observe: read results, write results,
// events, state, error kind, every counter, backpressure and deadlines.
//
// The model (testing/flow_model.h) is written from the contract, not from
// core/flow_state.cc, so a wrong row in the table shows up here as a
// difference, with the command sequence that exposes it (shrunk).
//
// The commands are valid in every state (a command with nothing to act on
// does nothing), so rapidcheck's model slot holds only the codec; each
// side's FlowModel lives beside its flow in the system under test, where it
// can be told what the backend did (how much receive space it was lent,
// what a peek exposed).
#include "testing/flow_model.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "core/frame.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "rapidcheck/state.h"
#include "testing/pattern.h"

namespace hvsock::testing {
namespace {

// The state class of a real flow, in the model's terms.
std::string StateClass(FlowState state) {
  auto both = [](absl::string_view ours, absl::string_view theirs) {
    return absl::StrCat("ours=", ours, " theirs=", theirs);
  };
  switch (state) {
    case FlowState::kOpen:
      return both("open", "open");
    case FlowState::kRemoteEnded:
      return both("open", "ended");
    case FlowState::kRemoteClosed:
      return both("open", "done");
    case FlowState::kClosing:
      return both("ending", "open");
    case FlowState::kClosingRemoteEnded:
      return both("ending", "ended");
    case FlowState::kClosingRemoteClosed:
      return both("ending", "done");
    case FlowState::kCloseWait:
      return both("end-out", "open");
    case FlowState::kAwaitingPeerClose:
      return both("end-out", "ended");
    case FlowState::kClosed:
      return "closed";
    case FlowState::kFailed:
      return "failed";
  }
  return "?";
}

// Everything observable about a real flow; takes its pending events.
FlowObservation Observe(Flow& flow) {
  FlowObservation o;
  o.state = StateClass(flow.state());
  o.error = GetFlowErrorKind(flow.error());
  if (!flow.error().ok() && !o.error.has_value()) {
    o.error = FlowErrorKind::kUnexpectedInput;  // not a flow error at all
  }
  if (flow.state() != FlowState::kFailed && !flow.error().ok()) {
    o.state += " (with an error)";
  }
  while (std::optional<FlowEvent> event = flow.PollEvent()) {
    o.events |= static_cast<uint8_t>(*event);
  }
  FlowStats stats = flow.stats();
  o.bytes_in = stats.bytes_in;
  o.bytes_out = stats.bytes_out;
  o.bytes_read = stats.bytes_read;
  o.wire_bytes_in = stats.wire_bytes_in;
  o.wire_bytes_out = stats.wire_bytes_out;
  o.frames_in = stats.frames_in;
  o.frames_out = stats.frames_out;
  o.bytes_dropped = stats.bytes_dropped;
  o.receive_buffered = stats.receive_buffered;
  o.send_queued = stats.send_queued;
  if (stats.state != flow.state()) o.state += " (stats disagree)";
  o.wants_read = flow.WantsRead();
  o.has_transmit = flow.HasTransmit();
  o.wants_shutdown_write = flow.WantsShutdownWrite();
  o.readable = flow.Readable();
  o.next_deadline = flow.NextDeadline();
  return o;
}

// One direction of the transport, toward one side.
struct Inbound {
  std::string bytes;
  enum class End { kOpen, kEof, kReset, kGone };
  End end = End::kOpen;  // kEof: after the bytes; kReset: at once
};

struct Side {
  explicit Side(const FlowOptions& options)
      : flow(Flow::Create(options).value()), model(options) {}
  Flow flow;
  FlowModel model;
  bool transport_closed = false;
};

// The system under test: two flows, their models, the pipes between them
// and the clock.
struct Duo {
  explicit Duo(const FlowOptions& options) : options(options) {
    sides[0] = std::make_unique<Side>(options);
    sides[1] = std::make_unique<Side>(options);
  }
  FlowOptions options;
  std::unique_ptr<Side> sides[2];
  Inbound toward[2];  // toward[i]: bytes on their way to side i
  absl::Time now = absl::UnixEpoch();
  uint64_t pattern = 0;  // seeds the bytes of the next write

  Side& side(int i) { return *sides[i]; }
  Inbound& from(int i) { return toward[1 - i]; }  // what side i sends into

  // A finished flow's transport is closed (clean) or reset (failed), as a
  // backend does; bytes toward it are no longer read.
  void CloseFinishedTransports() {
    for (int i = 0; i < 2; ++i) {
      Side& s = side(i);
      if (s.transport_closed || !s.flow.IsFinished()) continue;
      s.transport_closed = true;
      if (from(i).end == Inbound::End::kOpen) {
        from(i).end = s.flow.state() == FlowState::kClosed
                          ? Inbound::End::kEof
                          : Inbound::End::kReset;
      }
    }
  }

  // After every command: both flows look exactly as their models say.
  void CheckBoth() {
    CloseFinishedTransports();
    for (int i = 0; i < 2; ++i) {
      FlowObservation real = Observe(side(i).flow);
      FlowObservation expected = side(i).model.Observe();
      RC_ASSERT(real.ToString() == expected.ToString());
    }
  }
};

struct Spec {
  Codec codec;
};

using DuoCommand = rc::state::Command<Spec, Duo>;

const char* SideName(int i) { return i == 0 ? "A" : "B"; }

// ── Application commands ─────────────────────────────────────────────────

struct WriteCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);
  size_t size = *rc::gen::inRange<size_t>(0, 1200);
  // 0: Write(string_view), 1: Write(Cord&&), 2..: Writev of that many Cords.
  int how = *rc::gen::inRange(0, 5);

  void run(const Spec&, Duo& duo) const override {
    Side& s = duo.side(side);
    std::string bytes = PatternBytes(size, ++duo.pattern);
    std::optional<FlowErrorKind> expected = s.model.Write(bytes);
    absl::Status status;
    if (how == 0) {
      status = s.flow.Write(absl::string_view(bytes));
    } else {
      // Cut into `how - 1` pieces (1 for Write(Cord&&)): all or nothing.
      const size_t pieces = how == 1 ? 1 : static_cast<size_t>(how);
      std::vector<absl::Cord> cords;
      for (size_t p = 0; p < pieces; ++p) {
        size_t from = bytes.size() * p / pieces;
        size_t to = bytes.size() * (p + 1) / pieces;
        cords.emplace_back(absl::string_view(bytes).substr(from, to - from));
      }
      std::vector<absl::Cord> originals = cords;
      status = how == 1 ? s.flow.Write(std::move(cords[0]))
                        : s.flow.Writev(absl::MakeSpan(cords));
      if (!status.ok()) RC_ASSERT(cords == originals);  // nothing taken
    }
    RC_ASSERT(GetFlowErrorKind(status) == expected);
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    os << SideName(side) << ".Write(" << size << " bytes, "
       << (how == 0   ? "copy"
           : how == 1 ? "cord"
                      : "writev")
       << ")";
  }
};

struct ReadCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);
  size_t max = *rc::gen::element<size_t>(0, 1, 7, 100, 5000, SIZE_MAX);

  void run(const Spec&, Duo& duo) const override {
    Side& s = duo.side(side);
    ExpectedRead expected = s.model.Read(max);
    absl::StatusOr<ReadResult> read = s.flow.Read(max);
    using Kind = ExpectedRead::Kind;
    switch (expected.kind) {
      case Kind::kInvalidArgument:
        RC_ASSERT(absl::IsInvalidArgument(read.status()));
        break;
      case Kind::kError:
        RC_ASSERT(!read.ok());
        RC_ASSERT(GetFlowErrorKind(read.status()) == expected.error);
        break;
      case Kind::kData:
        RC_ASSERT(read.ok());
        RC_ASSERT(read->is_data());
        RC_ASSERT(std::string(read->data()) == expected.data);
        break;
      case Kind::kEof:
        RC_ASSERT(read.ok());
        RC_ASSERT(read->is_eof());
        break;
      case Kind::kWouldBlock:
        RC_ASSERT(read.ok());
        RC_ASSERT(read->would_block());
        break;
    }
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    os << SideName(side) << ".Read(" << max << ")";
  }
};

struct CloseCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);

  void run(const Spec&, Duo& duo) const override {
    Side& s = duo.side(side);
    std::optional<FlowErrorKind> expected = s.model.Close(duo.now);
    RC_ASSERT(GetFlowErrorKind(s.flow.Close(duo.now)) == expected);
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    os << SideName(side) << ".Close()";
  }
};

// ── Backend: sending ─────────────────────────────────────────────────────

// Peeks everything a side has queued (the model checks it) and returns it.
std::string PeekAll(Side& s) {
  // Room for every span: each payload byte could be its own frame.
  std::vector<absl::string_view> spans(4 * s.flow.stats().send_queued + 64);
  size_t count = s.flow.PeekTransmit(absl::MakeSpan(spans));
  RC_ASSERT(count < spans.size());
  std::string exposed;
  for (size_t i = 0; i < count; ++i) {
    exposed.append(spans[i].data(), spans[i].size());
  }
  absl::Status peek = s.model.Peeked(exposed);
  RC_ASSERT(peek.ok());
  return exposed;
}

// Peeks everything queued, checks it, and sends up to `max` bytes of it.
struct TransmitCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);
  size_t max = *rc::gen::element<size_t>(1, 3, 4, 5, 17, 300, SIZE_MAX);

  void run(const Spec&, Duo& duo) const override {
    Side& s = duo.side(side);
    std::string exposed = PeekAll(s);
    size_t n = std::min(max, exposed.size());
    s.flow.ConsumeTransmitted(n);
    absl::Status sent = s.model.Transmitted(exposed.substr(0, n));
    RC_ASSERT(sent.ok());
    Inbound& out = duo.from(side);
    if (out.end == Inbound::End::kOpen) out.bytes.append(exposed, 0, n);
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    os << SideName(side) << ".Transmit(" << max << ")";
  }
};

struct ShutdownWriteCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);

  void run(const Spec&, Duo& duo) const override {
    Side& s = duo.side(side);
    const bool expected = s.model.WantsShutdownWrite();
    RC_ASSERT(s.flow.PollShutdownWrite() == expected);
    if (expected) {
      s.model.ShutdownWritePolled();
      if (duo.from(side).end == Inbound::End::kOpen) {
        duo.from(side).end = Inbound::End::kEof;
      }
      RC_ASSERT(!s.flow.PollShutdownWrite());  // true once
    }
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    os << SideName(side) << ".PollShutdownWrite()";
  }
};

// ── Backend: receiving ───────────────────────────────────────────────────

// Reads up to `max` bytes into the flow's receive space; at the end of the
// bytes, the transport's EOF (if the flow reads) or reset.
struct ReceiveCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);
  size_t max = *rc::gen::element<size_t>(1, 2, 3, 4, 5, 9, 200, SIZE_MAX);

  void run(const Spec&, Duo& duo) const override {
    Side& s = duo.side(side);
    Inbound& in = duo.toward[side];
    if (in.end == Inbound::End::kReset) {
      in.end = Inbound::End::kGone;
      in.bytes.clear();
      s.model.TransportError();
      s.flow.HandleTransportError(absl::UnavailableError("ECONNRESET"));
    } else if (in.bytes.empty()) {
      if (in.end == Inbound::End::kEof && s.flow.WantsRead()) {
        in.end = Inbound::End::kGone;
        s.model.TransportEof();
        s.flow.HandleTransportEof();
      }
    } else {
      absl::Span<char> space = s.flow.ReceiveSpace();
      absl::Status allowed = s.model.CheckReceiveSpace(space.size());
      RC_ASSERT(allowed.ok());
      size_t n = std::min({max, space.size(), in.bytes.size()});
      if (n > 0) std::memcpy(space.data(), in.bytes.data(), n);
      s.flow.CommitReceived(n);
      s.model.Received(absl::string_view(in.bytes).substr(0, n));
      in.bytes.erase(0, n);
    }
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    os << SideName(side) << ".Receive(" << max << ")";
  }
};

// ── Time ─────────────────────────────────────────────────────────────────

struct TickCommand : DuoCommand {
  // 0: a random step; 1: exactly to the next deadline; 2: just before it.
  int how = *rc::gen::inRange(0, 3);
  int64_t millis = *rc::gen::inRange<int64_t>(0, 3000);

  void run(const Spec&, Duo& duo) const override {
    std::optional<absl::Time> next;
    for (int i = 0; i < 2; ++i) {
      std::optional<absl::Time> d = duo.side(i).flow.NextDeadline();
      if (d && (!next || *d < *next)) next = d;
    }
    absl::Time target = duo.now + absl::Milliseconds(millis);
    if (how == 1 && next) target = *next;
    if (how == 2 && next) target = *next - absl::Nanoseconds(1);
    duo.now = std::max(duo.now, target);
    for (int i = 0; i < 2; ++i) {
      duo.side(i).model.Tick(duo.now);
      duo.side(i).flow.HandleTimeout(duo.now);
    }
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    static constexpr const char* kHow[] = {"by", "to the deadline, else by",
                                           "to just before the deadline, "
                                           "else by"};
    os << "Tick(" << kHow[how] << " " << millis << "ms)";
  }
};

// ── The rest of the world: a scripted peer, faults, misuse ────────────────

// Bytes a scripted peer slips into the stream toward a side: end markers,
// Data, zero-length Data, an oversized length, or raw bytes (for the native
// codec, every kind is raw payload).
struct InjectCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);
  int kind = *rc::gen::inRange(0, 7);
  size_t size = *rc::gen::inRange<size_t>(1, 40);

  std::string Bytes(const Duo& duo) const {
    if (duo.options.codec == Codec::kNative) return PatternBytes(size, kind);
    switch (kind) {
      case 0:
        return FrameHeader(kFrameShutdownWrite);
      case 1:
        return FrameHeader(kFrameClose);
      case 2:
        return FrameHeader(kFrameShutdownRead);
      case 3:
        return FrameHeader(static_cast<uint32_t>(size)) + PatternBytes(size, 7);
      case 4:
        return FrameHeader(0);
      case 5:
        return FrameHeader(duo.options.max_receive_frame + 1);
      default:
        return PatternBytes(size, size);
    }
  }
  void run(const Spec&, Duo& duo) const override {
    Inbound& in = duo.toward[side];
    if (in.end == Inbound::End::kOpen) in.bytes += Bytes(duo);
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    static constexpr const char* kKinds[] = {
        "ShutdownWrite",    "Close",    "ShutdownRead", "Data", "empty Data",
        "oversized length", "raw bytes"};
    os << "Inject(toward " << SideName(side) << ", " << kKinds[kind] << ", "
       << size << ")";
  }
};

// The transport toward a side ends early (a prefix of its bytes, then EOF)
// or is reset.
struct FaultCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);
  bool reset = *rc::gen::arbitrary<bool>();
  size_t keep = *rc::gen::inRange<size_t>(0, 50);

  void run(const Spec&, Duo& duo) const override {
    Inbound& in = duo.toward[side];
    if (in.end == Inbound::End::kOpen) {
      if (reset) {
        in.end = Inbound::End::kReset;
      } else {
        in.bytes.resize(std::min(in.bytes.size(), keep));
        in.end = Inbound::End::kEof;
      }
    }
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    os << (reset ? "Reset(toward " : "Cut(toward ") << SideName(side)
       << ", keeping " << keep << ")";
  }
};

// Rarer events: abort, and the backend committing or consuming more than it
// was given.
struct RareCommand : DuoCommand {
  int side = *rc::gen::inRange(0, 2);
  int kind = *rc::gen::inRange(0, 3);
  size_t extra = *rc::gen::inRange<size_t>(0, 50);

  void run(const Spec&, Duo& duo) const override {
    Side& s = duo.side(side);
    switch (kind) {
      case 0:
        s.model.Abort();
        s.flow.Abort();
        break;
      case 1: {  // consume more than a full peek exposed
        std::string exposed = PeekAll(s);
        s.flow.ConsumeTransmitted(exposed.size() + 1 + extra);
        s.model.BackendMisuse();
        break;
      }
      case 2: {  // commit more than the space lent
        absl::Span<char> space = s.flow.ReceiveSpace();
        absl::Status allowed = s.model.CheckReceiveSpace(space.size());
        RC_ASSERT(allowed.ok());
        s.flow.CommitReceived(space.size() + 1 + extra);
        s.model.BackendMisuse();
        break;
      }
    }
    duo.CheckBoth();
  }
  void show(std::ostream& os) const override {
    static constexpr const char* kKinds[] = {"Abort", "consume too much",
                                             "commit too much"};
    os << SideName(side) << ": " << kKinds[kind] << " (" << extra << ")";
  }
};

FlowOptions RandomOptions(Codec codec) {
  FlowOptions options;
  options.codec = codec;
  options.send_limit = *rc::gen::inRange<size_t>(1, 3000);
  options.receive_limit = *rc::gen::inRange<size_t>(1, 3000);
  options.max_send_frame = *rc::gen::inRange<uint32_t>(1, 700);
  // Usually the peer's frames fit; sometimes they do not (a protocol error).
  options.max_receive_frame =
      *rc::gen::inRange(0, 10) == 0
          ? *rc::gen::inRange<uint32_t>(1, 700)
          : options.max_send_frame + *rc::gen::inRange<uint32_t>(0, 100);
  options.close_timeout = absl::Milliseconds(*rc::gen::inRange(1, 5000));
  if (*rc::gen::arbitrary<bool>()) {
    options.idle_timeout = absl::Milliseconds(*rc::gen::inRange(1, 8000));
  }
  return options;
}

void CheckAgainstTheModel(Codec codec) {
  FlowOptions options = RandomOptions(codec);
  RC_TAG(CodecName(codec));
  Duo duo(options);
  rc::state::check(
      Spec{codec}, duo,
      rc::state::gen::execOneOfWithArgs<
          WriteCommand, WriteCommand, WriteCommand, ReadCommand, ReadCommand,
          ReadCommand, CloseCommand, CloseCommand, TransmitCommand,
          TransmitCommand, TransmitCommand, TransmitCommand,
          ShutdownWriteCommand, ShutdownWriteCommand, ReceiveCommand,
          ReceiveCommand, ReceiveCommand, ReceiveCommand, TickCommand,
          TickCommand, InjectCommand, InjectCommand, InjectCommand,
          FaultCommand, RareCommand>());
  // Where the cases ended up (printed with the result): a check that the
  // commands reach the close handshake's end and every way of failing.
  for (int i = 0; i < 2; ++i) {
    const Flow& flow = duo.side(i).flow;
    std::optional<FlowErrorKind> kind = GetFlowErrorKind(flow.error());
    RC_CLASSIFY(flow.state() == FlowState::kClosed, "closed");
    RC_CLASSIFY(kind.has_value(),
                kind ? FlowErrorKindName(*kind) : absl::string_view());
    RC_CLASSIFY(!flow.IsFinished(), "still live");
  }
}

RC_GTEST_PROP(FlowModel, NativeFlowsBehaveAsTheModelSays, ()) {
  CheckAgainstTheModel(Codec::kNative);
}

RC_GTEST_PROP(FlowModel, FramedFlowsBehaveAsTheModelSays, ()) {
  CheckAgainstTheModel(Codec::kFramed);
}

}  // namespace
}  // namespace hvsock::testing
