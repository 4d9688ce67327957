// The framed decoder, fed whole, split and byte-by-byte.
#include "core/frame_decoder.h"

#include <string>
#include <vector>

#include "core/flow_error.h"
#include "core/frame.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

// Decodes `wire` in chunks of `chunk` bytes; returns a readable transcript.
std::string Decode(const std::string& wire, size_t chunk,
                   uint32_t max_frame = kDefaultMaxReceiveFrame) {
  FrameDecoder decoder(max_frame);
  std::string out;
  for (size_t at = 0; at < wire.size(); at += chunk) {
    absl::string_view input = absl::string_view(wire).substr(at, chunk);
    while (true) {
      DecodedItem item = decoder.Next(input);
      using Kind = DecodedItem::Kind;
      if (item.kind == Kind::kNeedMore) break;
      if (item.kind == Kind::kPayload) out += std::string(item.payload);
      if (item.kind == Kind::kShutdownRead) out += "<SR>";
      if (item.kind == Kind::kShutdownWrite) out += "<SW>";
      if (item.kind == Kind::kClose) out += "<C>";
      if (item.kind == Kind::kError) return out + "<ERR>";
    }
  }
  return out;
}

TEST(FrameDecoder, HeadersAreLittleEndian) {
  EXPECT_EQ(FrameHeader(0xdeadbeef), std::string("\xef\xbe\xad\xde", 4));
  EXPECT_EQ(FrameHeader(5), std::string("\x05\x00\x00\x00", 4));
}

TEST(FrameDecoder, AnyChunkingGivesTheSameItems) {
  std::string wire = FrameHeader(3) + "abc" + FrameHeader(0) + FrameHeader(2) +
                     "de" + FrameHeader(kFrameShutdownRead) +
                     FrameHeader(kFrameShutdownWrite) +
                     FrameHeader(kFrameClose);
  for (size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    EXPECT_EQ(Decode(wire, chunk), "abcde<SR><SW><C>") << "chunk " << chunk;
  }
}

TEST(FrameDecoder, RejectsOversizedLengthsFromTheHeaderAlone) {
  for (uint32_t length : {65537u, 0xffffffffu - 1, 0x7fffffffu}) {
    FrameDecoder decoder;
    std::string wire = FrameHeader(length);  // no payload follows: none needed
    absl::string_view input = wire;
    EXPECT_EQ(decoder.Next(input).kind, DecodedItem::Kind::kError);
    EXPECT_TRUE(IsFlowError(decoder.status(), FlowErrorKind::kProtocol));
  }
}

TEST(FrameDecoder, AcceptsExactlyTheMaximum) {
  std::string payload(100, 'm');
  EXPECT_EQ(Decode(FrameHeader(100) + payload, 7, /*max_frame=*/100), payload);
  EXPECT_EQ(Decode(FrameHeader(101) + payload + "m", 7, /*max_frame=*/100),
            "<ERR>");
}

TEST(FrameDecoder, ErrorsAreSticky) {
  FrameDecoder decoder(10);
  std::string wire = FrameHeader(11) + FrameHeader(1) + "x";
  absl::string_view input = wire;
  EXPECT_EQ(decoder.Next(input).kind, DecodedItem::Kind::kError);
  EXPECT_EQ(decoder.Next(input).kind, DecodedItem::Kind::kError);
}

TEST(FrameDecoder, KnowsWhenItStopsMidMessage) {
  FrameDecoder decoder;
  std::string wire = FrameHeader(4) + "ab";
  absl::string_view input = wire;
  while (decoder.Next(input).kind != DecodedItem::Kind::kNeedMore) {
  }
  EXPECT_FALSE(decoder.AtMessageBoundary());
  std::string rest = "cd";
  input = rest;
  decoder.Next(input);
  EXPECT_TRUE(decoder.AtMessageBoundary());
}

}  // namespace
}  // namespace hvsock
