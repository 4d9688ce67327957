#include "backends/address.h"

#include <type_traits>
#include <variant>

namespace hvsock {

absl::string_view AddressScheme(const Address& address) {
  return std::visit(
      [](const auto& kind) -> absl::string_view {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, VsockAddress>) return "vsock";
        if constexpr (std::is_same_v<Kind, UnixAddress>) return "unix";
        if constexpr (std::is_same_v<Kind, HybridVsockAddress>) {
          return "hybrid-vsock";
        }
        if constexpr (std::is_same_v<Kind, HyperkitAddress>) return "hyperkit";
        if constexpr (std::is_same_v<Kind, HvSocketAddress>) return "hvsock";
      },
      address);
}

}  // namespace hvsock
