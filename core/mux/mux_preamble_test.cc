#include "core/mux/mux_preamble.h"

#include <string>

#include "gtest/gtest.h"

namespace hvsock {
namespace {

TEST(MuxPreamble, IsTheVpnkitMagicAndAZeroLength) {
  EXPECT_EQ(MuxPreamble().size(), 54u);
  EXPECT_EQ(MuxPreamble().substr(0, 52),
            "https://github.com/moby/vpnkit multiplexer protocol\n");
  EXPECT_EQ(MuxPreamble().substr(52), std::string("\0\0", 2));
}

TEST(MuxPreambleReader, AcceptsThePreambleByteByByteAndLeavesTheRest) {
  std::string stream = std::string(MuxPreamble()) + "FRAMES";
  MuxPreambleReader reader;
  size_t i = 0;
  for (; i < stream.size() && !reader.done(); ++i) {
    absl::string_view in(&stream[i], 1);
    ASSERT_TRUE(reader.Consume(in).ok());
    EXPECT_TRUE(in.empty());
  }
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(stream.substr(i), "FRAMES");
}

TEST(MuxPreambleReader, IgnoresAPayload) {
  std::string stream =
      std::string(kMuxMagic) + std::string("\x03\x00", 2) + "abcREST";
  MuxPreambleReader reader;
  absl::string_view in = stream;
  ASSERT_TRUE(reader.Consume(in).ok());
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(in, "REST");
}

TEST(MuxPreambleReader, BadMagicSaysItIsNotAMultiplexer) {
  std::string stream = "GET / HTTP/1.1\r\n";
  MuxPreambleReader reader;
  absl::string_view in = stream;
  absl::Status status = reader.Consume(in);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("not a multiplexer"), std::string::npos);
  EXPECT_FALSE(reader.done());
}

TEST(MuxPreambleReader, RefusesAnOversizedPayloadLength) {
  std::string stream = std::string(kMuxMagic) + std::string("\xff\xff", 2);
  MuxPreambleReader reader;
  absl::string_view in = stream;
  EXPECT_FALSE(reader.Consume(in).ok());
}

TEST(MuxPreambleReader, EndedEarlySaysHowFarItGot) {
  MuxPreambleReader reader;
  absl::string_view in = "https://";
  ASSERT_TRUE(reader.Consume(in).ok());
  EXPECT_NE(reader.EndedEarly().message().find("after 8 bytes"),
            std::string::npos);
}

}  // namespace
}  // namespace hvsock
