#include "core/escaped_text.h"

#include <string>

#include "gtest/gtest.h"

namespace hvsock {
namespace {

TEST(EscapedText, PrintableTextIsKept) {
  EXPECT_EQ(EscapedText("OK 1073741824"), "OK 1073741824");
}

TEST(EscapedText, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(EscapedText(R"(a"b\c)"), R"(a\"b\\c)");
}

TEST(EscapedText, ControlAndHighBytesBecomeHex) {
  EXPECT_EQ(EscapedText(std::string("\n\0\x7f\xff", 4)), R"(\x0a\x00\x7f\xff)");
}

}  // namespace
}  // namespace hvsock
