// A listening Unix socket for the example echo servers, in plain POSIX
// calls: the examples are about driving flows from a loop, so they keep
// listening to the minimum. (hvsock's own Listener, in
// @hvsock//backends/posix:listener, adds vsock, peer allowlists and stale
// socket files.)
//
// Thread-compatible.
#ifndef HVSOCK_EXAMPLES_DOWNSTREAM_UNIX_LISTENER_H_
#define HVSOCK_EXAMPLES_DOWNSTREAM_UNIX_LISTENER_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hvsock/backends/posix/unique_fd.h"

namespace echo_example {

// Binds and listens on `uri` ("unix:///absolute/path"; the file must not
// exist). The socket is non-blocking and close-on-exec.
absl::StatusOr<hvsock::UniqueFd> ListenOnUnixUri(absl::string_view uri);

// The next pending connection (non-blocking, close-on-exec), or nullopt when
// none is waiting.
absl::StatusOr<std::optional<hvsock::UniqueFd>> AcceptConnection(
    int listening_fd);

}  // namespace echo_example

#endif  // HVSOCK_EXAMPLES_DOWNSTREAM_UNIX_LISTENER_H_
