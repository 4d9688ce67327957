#include "unix_listener.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace echo_example {

absl::StatusOr<hvsock::UniqueFd> ListenOnUnixUri(absl::string_view uri) {
  constexpr absl::string_view kScheme = "unix://";
  if (!absl::StartsWith(uri, kScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected unix:///absolute/path, got \"", uri, "\""));
  }
  absl::string_view path = uri.substr(kScheme.size());
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (!absl::StartsWith(path, "/") || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an absolute path shorter than ",
                     sizeof(address.sun_path), " bytes, got \"", path, "\""));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  hvsock::UniqueFd fd(
      socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return absl::ErrnoToStatus(errno, "socket");
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address),
           sizeof(address)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind ", uri));
  }
  if (listen(fd.get(), SOMAXCONN) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listen ", uri));
  }
  return fd;
}

absl::StatusOr<std::optional<hvsock::UniqueFd>> AcceptConnection(
    int listening_fd) {
  while (true) {
    int fd =
        accept4(listening_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return hvsock::UniqueFd(fd);
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    return absl::ErrnoToStatus(errno, "accept");
  }
}

}  // namespace echo_example
