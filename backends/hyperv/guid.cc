#include "backends/hyperv/guid.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock {
namespace {

constexpr absl::string_view kGuidShape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A printable rendering of one character for error messages.
std::string Shown(char c) {
  if (absl::ascii_isprint(static_cast<unsigned char>(c))) {
    return absl::StrCat("'", absl::string_view(&c, 1), "'");
  }
  return absl::StrFormat("byte 0x%02x", static_cast<unsigned char>(c));
}

constexpr std::pair<absl::string_view, const HvGuid*> kWellKnown[] = {
    {"wildcard", &kHvGuidWildcard}, {"broadcast", &kHvGuidBroadcast},
    {"loopback", &kHvGuidLoopback}, {"children", &kHvGuidChildren},
    {"parent", &kHvGuidParent},     {"silohost", &kHvGuidSiloHost},
};

}  // namespace

absl::StatusOr<HvGuid> ParseHvGuid(absl::string_view text) {
  absl::string_view body = text;
  size_t offset = 0;
  if (!body.empty() && body.front() == '{') {
    if (body.size() < 2 || body.back() != '}') {
      return absl::InvalidArgumentError(absl::StrCat(
          "GUID \"", text, "\" opens with '{' but does not end with '}'"));
    }
    body = body.substr(1, body.size() - 2);
    offset = 1;
  }
  if (body.size() != kGuidShape.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "GUID \"%s\" has %d characters; expected %d in the form %s "
        "(braces optional)",
        text, body.size(), kGuidShape.size(), kGuidShape));
  }
  uint8_t bytes[16];
  size_t nibble = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (kGuidShape[i] == '-') {
      if (c != '-') {
        return absl::InvalidArgumentError(absl::StrFormat(
            "GUID \"%s\": expected '-' at position %d, found %s", text,
            i + offset, Shown(c)));
      }
      continue;
    }
    int value = HexValue(c);
    if (value < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "GUID \"%s\": expected a hex digit at position %d, found %s", text,
          i + offset, Shown(c)));
    }
    if (nibble % 2 == 0) {
      bytes[nibble / 2] = static_cast<uint8_t>(value << 4);
    } else {
      bytes[nibble / 2] |= static_cast<uint8_t>(value);
    }
    ++nibble;
  }
  // The text lists Data1..Data3 most significant byte first.
  HvGuid guid;
  guid.data1 = (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) |
               (uint32_t{bytes[2]} << 8) | uint32_t{bytes[3]};
  guid.data2 = static_cast<uint16_t>((bytes[4] << 8) | bytes[5]);
  guid.data3 = static_cast<uint16_t>((bytes[6] << 8) | bytes[7]);
  for (int i = 0; i < 8; ++i) guid.data4[i] = bytes[8 + i];
  return guid;
}

std::string FormatHvGuid(const HvGuid& guid) {
  const auto& d = guid.data4;
  return absl::StrFormat("%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         guid.data1, guid.data2, guid.data3, d[0], d[1], d[2],
                         d[3], d[4], d[5], d[6], d[7]);
}

std::optional<absl::string_view> HvWellKnownVmIdName(const HvGuid& vm_id) {
  for (const auto& [name, guid] : kWellKnown) {
    if (*guid == vm_id) return name;
  }
  return std::nullopt;
}

std::optional<HvGuid> HvWellKnownVmId(absl::string_view keyword) {
  for (const auto& [name, guid] : kWellKnown) {
    if (absl::EqualsIgnoreCase(name, keyword)) return *guid;
  }
  return std::nullopt;
}

HvGuid VsockPortGuid(uint32_t port) {
  HvGuid guid = kHvVsockTemplate;
  guid.data1 = port;
  return guid;
}

std::optional<uint32_t> VsockPortOf(const HvGuid& service_id) {
  HvGuid rest = service_id;
  rest.data1 = 0;
  if (rest != kHvVsockTemplate) return std::nullopt;
  return service_id.data1;
}

}  // namespace hvsock
