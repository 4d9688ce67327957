#include "backends/platform.h"

#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "backends/uri.h"

namespace hvsock {
namespace {

// What each kind of address names, in a few words.
absl::string_view KindDescription(const Address& address) {
  return std::visit(
      [](const auto& kind) -> absl::string_view {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, VsockAddress>) {
          return "an AF_VSOCK socket";
        }
        if constexpr (std::is_same_v<Kind, UnixAddress>) {
          return "a Unix-domain socket";
        }
        if constexpr (std::is_same_v<Kind, HybridVsockAddress>) {
          return "a guest port behind a hybrid vsock VMM's Unix socket";
        }
        if constexpr (std::is_same_v<Kind, HyperkitAddress>) {
          return "a guest port behind hyperkit's Unix sockets";
        }
        if constexpr (std::is_same_v<Kind, HvSocketAddress>) {
          return "a Hyper-V socket";
        }
      },
      address);
}

}  // namespace

absl::string_view PlatformName(Platform platform) {
  return platform == Platform::kWindows ? "Windows" : "Linux";
}

Platform PlatformFor(const Address& address) {
  return std::holds_alternative<HvSocketAddress>(address) ? Platform::kWindows
                                                          : Platform::kLinux;
}

absl::string_view SchemesOn(Platform platform) {
  return platform == Platform::kWindows
             ? "hvsock://"
             : "vsock://, unix://, hybrid-vsock:// and hyperkit://";
}

absl::Status NotOnThisPlatform(const Address& address, Platform here) {
  return absl::UnimplementedError(absl::StrCat(
      FormatAddressUri(address), " needs ", PlatformName(PlatformFor(address)),
      " (", AddressScheme(address), ":// names ", KindDescription(address),
      "); on ", PlatformName(here), " the schemes are ", SchemesOn(here)));
}

}  // namespace hvsock
