#include "core/mux/mux_frame.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

std::string Hex(absl::string_view hex) {
  std::string compact;
  for (char c : hex) {
    if (c != ' ') compact.push_back(c);
  }
  return absl::HexStringToBytes(compact);
}

// vpnkit go/test_inputs/open_multiplexed_connection.bin: id 5, Multiplexed,
// UDP [::1]:8080.
const char kOpenUdpVector[] =
    "1d00 01 05000000 02 02 1000 00000000000000000000000000000001 901f";
// vpnkit go/test_inputs/open_multiplexed_unix_connection.bin: id 5, Unix
// "/tmp/foo".
const char kOpenUnixVector[] = "1300 01 05000000 02 03 0800 2f746d702f666f6f";
// From vpnkit's frame.go layout (docs of this project's shared notes).
const char kCloseVector[] = "07 00 02 06 00 00 00";
const char kWindowVector[] = "0f 00 05 09 00 00 00 38 a2 87 00 00 00 00 00";

std::string Ipv6Loopback() {
  std::string ip(16, '\0');
  ip[15] = 1;
  return ip;
}

TEST(MuxFrame, EncodesVpnkitOpenUdpVectorByteExact) {
  MuxFrame open = MuxFrame::Open(5, MuxDestination::Udp(Ipv6Loopback(), 8080));
  EXPECT_EQ(EncodeMuxFrame(open).value(), Hex(kOpenUdpVector));
}

TEST(MuxFrame, DecodesVpnkitOpenUdpVector) {
  absl::StatusOr<MuxFrame> frame = DecodeMuxFrame(Hex(kOpenUdpVector));
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->command, MuxCommand::kOpen);
  EXPECT_EQ(frame->id, 5u);
  EXPECT_EQ(frame->connection, MuxConnectionType::kMultiplexed);
  EXPECT_EQ(frame->open_problem, "");
  EXPECT_EQ(frame->destination, MuxDestination::Udp(Ipv6Loopback(), 8080));
  EXPECT_EQ(frame->ToString(), "Open 5 Multiplexed UDP:[0:0:0:0:0:0:0:1]:8080");
}

TEST(MuxFrame, EncodesAndDecodesVpnkitOpenUnixVector) {
  MuxFrame open = MuxFrame::Open(5, MuxDestination::Unix("/tmp/foo"));
  EXPECT_EQ(EncodeMuxFrame(open).value(), Hex(kOpenUnixVector));
  absl::StatusOr<MuxFrame> frame = DecodeMuxFrame(Hex(kOpenUnixVector));
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->destination, MuxDestination::Unix("/tmp/foo"));
  EXPECT_EQ(frame->id, 5u);
}

TEST(MuxFrame, EncodesAndDecodesCloseVector) {
  EXPECT_EQ(EncodeMuxFrame(MuxFrame::Close(6)).value(), Hex(kCloseVector));
  absl::StatusOr<MuxFrame> frame = DecodeMuxFrame(Hex(kCloseVector));
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->command, MuxCommand::kClose);
  EXPECT_EQ(frame->id, 6u);
}

TEST(MuxFrame, EncodesAndDecodesWindowVectorWithAbsoluteSeq) {
  EXPECT_EQ(EncodeMuxFrame(MuxFrame::Window(9, 8888888)).value(),
            Hex(kWindowVector));
  absl::StatusOr<MuxFrame> frame = DecodeMuxFrame(Hex(kWindowVector));
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->command, MuxCommand::kWindow);
  EXPECT_EQ(frame->id, 9u);
  EXPECT_EQ(frame->seq, 8888888u);
}

TEST(MuxFrame, DataAndShutdownRoundTrip) {
  EXPECT_EQ(EncodeMuxFrame(MuxFrame::Data(0xfffffffe, 70000)).value(),
            Hex("0b00 04 feffffff 70110100"));
  EXPECT_EQ(EncodeMuxFrame(MuxFrame::Shutdown(1)).value(),
            Hex("0700 03 01000000"));
  absl::StatusOr<MuxFrame> data =
      DecodeMuxFrame(Hex("0b00 04 feffffff 70110100"));
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->payload_length, 70000u);
  EXPECT_EQ(data->id, 0xfffffffeu);
}

TEST(MuxFrame, TcpIpv4DestinationRoundTrips) {
  MuxFrame open = MuxFrame::Open(
      7, MuxDestination::Tcp(std::string("\x7f\0\0\x01", 4), 80));
  std::string bytes = EncodeMuxFrame(open).value();
  absl::StatusOr<MuxFrame> back = DecodeMuxFrame(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->destination, open.destination);
  EXPECT_EQ(back->destination.ToString(), "TCP:127.0.0.1:80");
}

TEST(MuxFrame, DedicatedOpenDecodesAsUnservable) {
  absl::StatusOr<MuxFrame> frame =
      DecodeMuxFrame(Hex("1300 01 05000000 01 03 0800 2f746d702f666f6f"));
  ASSERT_TRUE(frame.ok());
  EXPECT_NE(frame->open_problem.find("Dedicated"), std::string::npos);
}

TEST(MuxFrame, UnknownProtocolOpenDecodesAsUnservable) {
  absl::StatusOr<MuxFrame> frame =
      DecodeMuxFrame(Hex("0b00 01 05000000 02 09 0000"));
  ASSERT_TRUE(frame.ok());
  EXPECT_NE(frame->open_problem.find("protocol 9"), std::string::npos);
}

TEST(MuxFrame, UnknownCommandIsAnErrorNamingIt) {
  absl::StatusOr<MuxFrame> frame = DecodeMuxFrame(Hex("0700 07 01000000"));
  ASSERT_FALSE(frame.ok());
  EXPECT_NE(frame.status().message().find("unknown command 7"),
            std::string::npos);
}

TEST(MuxFrame, HdrlenNotMatchingTheCommandIsAnError) {
  absl::StatusOr<MuxFrame> frame = DecodeMuxFrame(Hex("0800 02 01000000 00"));
  ASSERT_FALSE(frame.ok());
  EXPECT_NE(frame.status().message().find("Close on id 1 has hdrlen 8"),
            std::string::npos);
}

TEST(MuxFrame, EncoderRefusesBadDestinations) {
  EXPECT_FALSE(
      EncodeMuxFrame(MuxFrame::Open(1, MuxDestination::Tcp("abc", 1))).ok());
  EXPECT_FALSE(EncodeMuxFrame(MuxFrame::Open(1, MuxDestination::Unix(
                                                    std::string(5000, 'a'))))
                   .ok());
}

TEST(MuxFrameDecoder, DecodesOneByteAtATimeAndLeavesPayload) {
  std::string stream = Hex(kOpenUnixVector) + Hex("0b00 04 05000000 03000000") +
                       "abc" + Hex(kWindowVector);
  MuxFrameDecoder decoder;
  std::vector<MuxFrame> frames;
  std::string payload;
  size_t payload_left = 0;
  for (char c : stream) {
    absl::string_view in(&c, 1);
    if (payload_left > 0) {
      payload.push_back(c);
      --payload_left;
      continue;
    }
    absl::StatusOr<std::optional<MuxFrame>> next = decoder.Next(in);
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_TRUE(in.empty());
    if (next->has_value()) {
      frames.push_back(**next);
      payload_left = frames.back().payload_length;
    }
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].command, MuxCommand::kOpen);
  EXPECT_EQ(frames[1].payload_length, 3u);
  EXPECT_EQ(payload, "abc");
  EXPECT_EQ(frames[2].seq, 8888888u);
}

TEST(MuxFrameDecoder, RejectsHdrlenOverTheMaximumBeforeBuffering) {
  MuxFrameDecoder decoder;
  std::string bytes = Hex("ffff 01");
  absl::string_view in = bytes;
  absl::StatusOr<std::optional<MuxFrame>> next = decoder.Next(in);
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("hdrlen 65535"), std::string::npos);
  EXPECT_LE(decoder.buffered(), 2u);
  // Sticky.
  absl::string_view more = "x";
  EXPECT_FALSE(decoder.Next(more).ok());
}

TEST(MuxFrameDecoder, RejectsHdrlenShorterThanTheCommonHeader) {
  MuxFrameDecoder decoder;
  std::string bytes = Hex("0300 02");
  absl::string_view in = bytes;
  EXPECT_FALSE(decoder.Next(in).ok());
}

}  // namespace
}  // namespace hvsock
