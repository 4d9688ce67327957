// HvGuid: a GUID as Hyper-V sockets use it, to name a virtual machine (VmId)
// or a service on it (ServiceId).
//
// The layout is the Windows GUID's: Data1 (u32), Data2 (u16), Data3 (u16),
// Data4 (8 bytes), kept in host byte order like the Windows struct, so an
// HvGuid copies bit for bit into a SOCKADDR_HV. The text form is the usual
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", parsed case-insensitively with or
// without surrounding braces and formatted lower-case without braces.
//
// Hyper-V also maps Linux vsock ports onto ServiceIds through a template,
// "XXXXXXXX-facb-11e6-bd58-64006a7986d3" with Data1 = the port; VsockPortGuid
// and VsockPortOf convert both ways.
//
// This header is platform-independent (no Windows headers). Thread-safety:
// a plain value type; the functions are pure.
#ifndef HVSOCK_BACKENDS_HYPERV_GUID_H_
#define HVSOCK_BACKENDS_HYPERV_GUID_H_

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hvsock {

struct HvGuid {
  uint32_t data1 = 0;
  uint16_t data2 = 0;
  uint16_t data3 = 0;
  std::array<uint8_t, 8> data4 = {};

  friend bool operator==(const HvGuid&, const HvGuid&) = default;
  friend auto operator<=>(const HvGuid&, const HvGuid&) = default;
};
static_assert(sizeof(HvGuid) == 16, "HvGuid must match the Windows GUID");

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", optionally in braces, hex
// digits in either case. The error names the first offending character and
// its position.
absl::StatusOr<HvGuid> ParseHvGuid(absl::string_view text);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case, no braces.
std::string FormatHvGuid(const HvGuid& guid);

// ── Well-known VmIds (the HV_GUID_* values of Windows' hvsocket.h) ───────
// Listen: accept from any partition.
inline constexpr HvGuid kHvGuidWildcard = {};
// Broadcast: every partition.
inline constexpr HvGuid kHvGuidBroadcast = {
    0xffffffff,
    0xffff,
    0xffff,
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
// This partition talking to itself.
inline constexpr HvGuid kHvGuidLoopback = {
    0xe0e16197,
    0xdd56,
    0x4a10,
    {0x91, 0x95, 0x5e, 0xe7, 0xa1, 0x55, 0xa8, 0x38}};
// Listen: accept from this partition's child partitions (the VMs).
inline constexpr HvGuid kHvGuidChildren = {
    0x90db8b89,
    0x0d35,
    0x4f79,
    {0x8c, 0xe9, 0x49, 0xea, 0x0a, 0xc8, 0xb7, 0xcd}};
// From a VM: its parent partition (the host).
inline constexpr HvGuid kHvGuidParent = {
    0xa42e7cda,
    0xd03f,
    0x480c,
    {0x9c, 0xc2, 0xa4, 0xde, 0x20, 0xab, 0xb8, 0x78}};
// From a silo (a container): its host.
inline constexpr HvGuid kHvGuidSiloHost = {
    0x36bd0c5c,
    0x7276,
    0x4223,
    {0x88, 0xba, 0x7d, 0x03, 0xb6, 0x54, 0xc5, 0x68}};

// The keyword that names a well-known VmId ("wildcard", "broadcast",
// "loopback", "children", "parent", "silohost"), or nullopt.
std::optional<absl::string_view> HvWellKnownVmIdName(const HvGuid& vm_id);
// The well-known VmId named by `keyword` (case-insensitive), or nullopt.
std::optional<HvGuid> HvWellKnownVmId(absl::string_view keyword);

// ── The vsock port template ──────────────────────────────────────────────
// "00000000-facb-11e6-bd58-64006a7986d3"; Data1 holds the port.
inline constexpr HvGuid kHvVsockTemplate = {
    0x00000000,
    0xfacb,
    0x11e6,
    {0xbd, 0x58, 0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3}};

// The ServiceId for vsock port `port`.
HvGuid VsockPortGuid(uint32_t port);
// The port if `service_id` follows the vsock template, else nullopt.
std::optional<uint32_t> VsockPortOf(const HvGuid& service_id);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_HYPERV_GUID_H_
