#include "backends/posix/listener.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <variant>

#include "absl/strings/str_cat.h"
#include "backends/posix/socket_address.h"
#include "backends/uri.h"

namespace hvsock {
namespace {

// What is at a Unix socket path that bind() found in use.
enum class PathOccupant { kStaleSocket, kListener, kNotASocket, kGone };

absl::StatusOr<PathOccupant> ProbeUnixPath(const std::string& path,
                                           const SocketAddress& address) {
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return PathOccupant::kGone;
    return PosixError(errno, absl::StrCat("lstat ", path));
  }
  if (!S_ISSOCK(info.st_mode)) return PathOccupant::kNotASocket;
  absl::StatusOr<UniqueFd> probe = NewStreamSocket(AF_UNIX);
  if (!probe.ok()) return probe.status();
  if (::connect(probe->get(), address.get(), address.size()) == 0) {
    return PathOccupant::kListener;
  }
  switch (errno) {
    case ECONNREFUSED:
      return PathOccupant::kStaleSocket;
    case EAGAIN:  // a listener whose backlog is full
    case EINPROGRESS:
      return PathOccupant::kListener;
    case ENOENT:
      return PathOccupant::kGone;
    default:
      return PosixError(errno, absl::StrCat("probing ", path));
  }
}

absl::Status CheckListenOptions(const std::string& uri, bool is_unix,
                                const ListenOptions& options) {
  if (!options.peers.allowed_vm_ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen ", uri,
        ": a VmId allowlist applies only to Hyper-V "
        "listeners, which need Windows; use a CID allowlist for vsock"));
  }
  if (!options.peers.allowed_cids.empty() && is_unix) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen ", uri, ": a CID allowlist applies only to vsock listeners"));
  }
  if (options.backlog < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen ", uri, ": negative backlog ", options.backlog));
  }
  return absl::OkStatus();
}

// bind() found the Unix socket path in use: removes the file if it is a
// socket nobody listens on, and fails if it is anything else.
absl::Status ClearStaleSocket(const std::string& uri, const std::string& path,
                              const SocketAddress& socket_address) {
  absl::StatusOr<PathOccupant> occupant = ProbeUnixPath(path, socket_address);
  if (!occupant.ok()) return occupant.status();
  switch (*occupant) {
    case PathOccupant::kListener:
      return absl::AlreadyExistsError(
          absl::StrCat("listen ", uri, ": another listener is already there"));
    case PathOccupant::kNotASocket:
      return absl::AlreadyExistsError(
          absl::StrCat("listen ", uri,
                       ": the path exists and is not a socket; not "
                       "removing it"));
    case PathOccupant::kStaleSocket:
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return PosixError(errno, absl::StrCat("listen ", uri,
                                              ": removing the stale socket "
                                              "file"));
      }
      return absl::OkStatus();
    case PathOccupant::kGone:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

// Binds `fd` to `address`; with options.remove_stale_socket, once more
// after clearing a stale Unix socket file.
absl::Status Bind(int fd, const Address& address,
                  const SocketAddress& socket_address, const std::string& uri,
                  const ListenOptions& options) {
  int result = ::bind(fd, socket_address.get(), socket_address.size());
  if (result != 0 && errno == EADDRINUSE &&
      std::holds_alternative<UnixAddress>(address) &&
      options.remove_stale_socket) {
    if (absl::Status cleared = ClearStaleSocket(
            uri, std::get<UnixAddress>(address).path, socket_address);
        !cleared.ok()) {
      return cleared;
    }
    result = ::bind(fd, socket_address.get(), socket_address.size());
  }
  if (result == 0) return absl::OkStatus();
  const int error = errno;
  if (error == EADDRINUSE) {
    return absl::AlreadyExistsError(
        absl::StrCat("listen ", uri, ": address already in use"));
  }
  return PosixError(error, absl::StrCat("listen ", uri, ": bind"));
}

}  // namespace

absl::Status CheckPeerCid(const PeerFilter& filter, const Address& peer) {
  const auto* vsock = std::get_if<VsockAddress>(&peer);
  if (vsock == nullptr)
    return AdmitAnonymousPeer(filter, FormatAddressUri(peer));
  return AdmitVsockPeer(filter, vsock->cid, FormatAddressUri(peer));
}

absl::StatusOr<std::unique_ptr<Listener>> Listener::Listen(
    const Address& address, ListenOptions options) {
  const std::string uri = FormatAddressUri(address);
  const bool is_unix = std::holds_alternative<UnixAddress>(address);
  if (absl::Status valid = CheckListenOptions(uri, is_unix, options);
      !valid.ok()) {
    return valid;
  }
  absl::StatusOr<SocketAddress> socket_address = SocketAddress::From(address);
  if (!socket_address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen ", uri, ": ", socket_address.status().message()));
  }
  absl::StatusOr<UniqueFd> fd = NewStreamSocket(socket_address->family());
  if (!fd.ok()) return fd.status();
  if (absl::Status bound =
          Bind(fd->get(), address, *socket_address, uri, options);
      !bound.ok()) {
    return bound;
  }
  std::unique_ptr<Listener> listener;
  // From here on the socket file (if any) is ours: the destructor removes it
  // even if listen() fails.
  absl::StatusOr<Address> local = LocalAddressOf(fd->get());
  listener.reset(new Listener(std::move(*fd), local.ok() ? *local : address,
                              std::move(options)));
  if (is_unix) {
    struct stat info;
    const std::string& path = std::get<UnixAddress>(address).path;
    if (::stat(path.c_str(), &info) == 0) {
      listener->owns_socket_file_ = true;
      listener->file_dev_ = info.st_dev;
      listener->file_ino_ = info.st_ino;
    }
    // getsockname reports the path as given; keep the caller's spelling.
    listener->local_ = address;
  }
  if (::listen(listener->fd(), listener->options_.backlog) != 0) {
    return PosixError(errno, absl::StrCat("listen ", uri, ": listen"));
  }
  return listener;
}

Listener::~Listener() {
  if (!owns_socket_file_) return;
  const std::string& path = std::get<UnixAddress>(local_).path;
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && info.st_dev == file_dev_ &&
      info.st_ino == file_ino_) {
    ::unlink(path.c_str());
  }
}

absl::StatusOr<std::optional<AcceptedConnection>> Listener::Accept() {
  while (true) {
    sockaddr_storage storage{};
    socklen_t size = sizeof(storage);
    UniqueFd fd(::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&storage),
                          &size, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      int error = errno;
      switch (error) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
          return std::nullopt;
        case EINTR:
        case ECONNABORTED:  // the peer gave up while queued
        case EPROTO:
          continue;
        default:
          ++failed_accepts_;
          return PosixError(
              error, absl::StrCat("accept on ", FormatAddressUri(local_)));
      }
    }
    absl::StatusOr<Address> peer =
        SocketAddress::ToAddress(reinterpret_cast<sockaddr*>(&storage), size);
    if (!peer.ok()) peer = UnixAddress{};
    absl::Status admitted = CheckPeerCid(options_.peers, *peer);
    if (admitted.ok() && options_.admit) admitted = options_.admit(*peer);
    if (!admitted.ok()) {
      // Closed before any of its data is read; a reset where supported.
      linger abortive{1, 0};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abortive,
                   sizeof(abortive));
      fd.reset();
      ++rejected_;
      if (options_.peers.on_refused) {
        options_.peers.on_refused(FormatAddressUri(*peer), admitted);
      }
      continue;
    }
    ++accepted_;
    return AcceptedConnection{std::move(fd), *std::move(peer)};
  }
}

}  // namespace hvsock
