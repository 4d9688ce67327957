#include "tools/posix_endpoint.h"

#include "backends/posix/posix_address.h"
#include "backends/uri.h"

namespace hvsock::tools {

absl::StatusOr<Address> ParsePosixEndpoint(absl::string_view uri) {
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  if (!address.ok()) return address.status();
  if (absl::Status supported = CheckPosixAddress(*address); !supported.ok()) {
    return supported;
  }
  return address;
}

}  // namespace hvsock::tools
