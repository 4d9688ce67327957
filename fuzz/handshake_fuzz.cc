// Fuzz target: the connect handshake (core/handshake/connect_handshake.h)
// fed arbitrary reply bytes in arbitrary chunks.
//
// Input: byte 0 picks the protocol (bit 7: hyperkit) and the chunk size;
// byte 1 how much of the request goes out before the reply starts; the
// rest is what the VMM sends, after which it closes the connection.
// Checks, besides no crash or sanitizer report: the handshake never holds
// more than kMaxReplyBytes of reply; the outcome (state, error kind, reply,
// stream bytes) is the same fed whole or in chunks; once established,
// every byte after the OK line is left for the stream exactly once; the
// end of the stream always settles it; error messages stay short.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/handshake/connect_handshake.h"

namespace {

using hvsock::ConnectHandshake;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "handshake_fuzz: %s\n", what);
  std::abort();
}

struct Outcome {
  hvsock::HandshakeState state;
  int kind = -1;
  std::string reply;
  std::string stream;
};

Outcome Run(bool hyperkit, size_t chunk, size_t sent_first,
            absl::string_view wire) {
  const absl::Time deadline = absl::FromUnixSeconds(100);
  ConnectHandshake handshake =
      hyperkit ? ConnectHandshake::Hyperkit(3, 0x5000, deadline)
               : ConnectHandshake::HybridVsock(52, deadline);
  const size_t request = handshake.PeekTransmit().size();
  handshake.ConsumeTransmitted(sent_first % (request + 1));
  std::string pending;  // unconsumed bytes, the stream's once established
  size_t consumed_total = 0;
  for (size_t at = 0; at < wire.size() && !handshake.failed(); at += chunk) {
    absl::string_view piece = wire.substr(at, chunk);
    size_t consumed = handshake.HandleReceived(piece);
    Check(consumed <= piece.size(), "consumed more than offered");
    consumed_total += consumed;
    Check(consumed_total <= ConnectHandshake::kMaxReplyBytes,
          "held more than the reply bound");
    pending += std::string(piece.substr(consumed));
    if (at == 0) handshake.ConsumeTransmitted(request);
  }
  handshake.ConsumeTransmitted(request);
  if (!handshake.established()) handshake.HandleTransportEof();
  handshake.HandleTimeout(deadline);
  Check(handshake.established() || handshake.failed(),
        "the end of the stream did not settle the handshake");
  Outcome outcome;
  outcome.state = handshake.state();
  if (handshake.failed()) {
    outcome.kind = static_cast<int>(*handshake.error_kind());
    Check(!handshake.error().ok(), "failed without an error");
    Check(handshake.error().message().size() < 400, "error message too long");
    return outcome;
  }
  outcome.reply = handshake.reply();
  outcome.stream = pending;
  if (hyperkit) {
    Check(consumed_total == 0, "hyperkit consumed reply bytes");
  } else {
    Check(consumed_total == outcome.reply.size() + 1,
          "consumed more than the OK line");
    Check(wire.substr(0, consumed_total) == outcome.reply + "\n",
          "the reply is not the consumed line");
    Check(wire.substr(consumed_total) == outcome.stream,
          "stream bytes lost or repeated");
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool hyperkit = (data[0] & 0x80) != 0;
  const size_t chunk = 1 + (data[0] & 0x7f) % 40;
  const size_t sent_first = data[1];
  absl::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);
  Outcome whole = Run(hyperkit, wire.size() + 1, sent_first, wire);
  Outcome chunked = Run(hyperkit, chunk, sent_first, wire);
  Check(whole.state == chunked.state, "chunking changed the state");
  Check(whole.kind == chunked.kind, "chunking changed the error kind");
  Check(whole.reply == chunked.reply, "chunking changed the reply");
  Check(whole.stream == chunked.stream, "chunking changed the stream bytes");
  return 0;
}
