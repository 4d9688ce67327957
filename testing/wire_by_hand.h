// Moving a sans-IO core's bytes by hand in a test, as a driver would:
//  * DiscardTransmit(core): everything the core (a Flow or a MuxConnection)
//    has to transmit is taken and dropped, as if sent to a peer that is not
//    there;
//  * ReceiveInPlace(mux, wire, max_read): `wire` is copied into the spaces
//    a MuxConnection lends (ReceiveSpaces, then CommitReceived), at most
//    `max_read` bytes a read, the path a driver's readv takes.
#ifndef HVSOCK_TESTING_WIRE_BY_HAND_H_
#define HVSOCK_TESTING_WIRE_BY_HAND_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hvsock::testing {

template <typename Core>
void DiscardTransmit(Core& core) {
  absl::string_view spans[64];
  while (size_t n = core.PeekTransmit(absl::MakeSpan(spans))) {
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) bytes += spans[i].size();
    core.ConsumeTransmitted(bytes);
  }
}

template <typename Mux>
void ReceiveInPlace(Mux& mux, absl::string_view wire,
                    size_t max_read = SIZE_MAX) {
  while (!wire.empty()) {
    absl::Span<char> spaces[3];
    const size_t count = mux.ReceiveSpaces(absl::MakeSpan(spaces));
    const size_t want = std::min(max_read, wire.size());
    size_t read = 0;
    for (size_t k = 0; k < count && read < want; ++k) {
      const size_t len = std::min(spaces[k].size(), want - read);
      std::memcpy(spaces[k].data(), wire.data() + read, len);
      read += len;
    }
    mux.CommitReceived(read);
    if (read == 0) return;  // the connection takes no more (it failed)
    wire.remove_prefix(read);
  }
}

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_WIRE_BY_HAND_H_
