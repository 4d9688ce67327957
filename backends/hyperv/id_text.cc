#include "backends/hyperv/id_text.h"

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock {
namespace {

constexpr absl::string_view kKeywords =
    "wildcard, children, loopback, parent, silohost, broadcast";

bool LooksLikeGuid(absl::string_view text) {
  return absl::StrContains(text, '-') || absl::StartsWith(text, "{");
}

// A port number: decimal, or hex after "0x"/"0X"; nullopt with `why` set
// when `text` is not one.
std::optional<uint32_t> ParsePort(absl::string_view text, std::string* why) {
  int base = 10;
  absl::string_view digits = text;
  if (absl::StartsWithIgnoreCase(digits, "0x")) {
    base = 16;
    digits.remove_prefix(2);
  }
  if (digits.empty()) {
    *why = "no digits";
    return std::nullopt;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    char c = digits[i];
    int digit = -1;
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digit = c - '0';
    } else if (base == 16 &&
               absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      digit = absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    }
    if (digit < 0) {
      *why = absl::StrFormat("'%c' at offset %d is not a %s digit", c,
                             i + (text.size() - digits.size()),
                             base == 16 ? "hex" : "decimal");
      return std::nullopt;
    }
    value = value * base + digit;
    if (value > UINT32_MAX) {
      *why = "it exceeds the largest port, 4294967295 (0xffffffff)";
      return std::nullopt;
    }
  }
  return static_cast<uint32_t>(value);
}

}  // namespace

absl::StatusOr<HvGuid> ParseHvVmId(absl::string_view text) {
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the VMID is empty; expected a GUID or one of ", kKeywords));
  }
  if (std::optional<HvGuid> known = HvWellKnownVmId(text)) return *known;
  if (LooksLikeGuid(text)) {
    absl::StatusOr<HvGuid> guid = ParseHvGuid(text);
    if (!guid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("VMID: ", guid.status().message()));
    }
    return guid;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "VMID \"", text, "\" is neither a GUID nor one of ", kKeywords));
}

absl::StatusOr<HvGuid> ParseHvServiceId(absl::string_view text) {
  if (text.empty()) {
    return absl::InvalidArgumentError(
        "the SERVICEID is empty; expected a GUID or a port number");
  }
  if (LooksLikeGuid(text)) {
    absl::StatusOr<HvGuid> guid = ParseHvGuid(text);
    if (!guid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("SERVICEID: ", guid.status().message()));
    }
    return guid;
  }
  std::string why;
  std::optional<uint32_t> port = ParsePort(text, &why);
  if (!port.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SERVICEID \"", text,
        "\" is neither a GUID nor a port number (decimal or 0x hex): ", why));
  }
  return VsockPortGuid(*port);
}

std::string FormatHvVmId(const HvGuid& vm_id) {
  if (std::optional<absl::string_view> name = HvWellKnownVmIdName(vm_id)) {
    return std::string(*name);
  }
  return FormatHvGuid(vm_id);
}

std::string FormatHvServiceId(const HvGuid& service_id) {
  if (std::optional<uint32_t> port = VsockPortOf(service_id)) {
    return absl::StrCat(*port);
  }
  return FormatHvGuid(service_id);
}

}  // namespace hvsock
