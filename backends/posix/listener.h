// Listener: a bound, listening stream socket that accepts flows' transports.
//
// Listen() binds an Address (vsock or Unix) and listens with a configurable
// backlog; Accept() takes the next pending connection without blocking,
// together with the peer's address. The listening socket is non-blocking
// and close-on-exec; so is every accepted socket. Register fd() with any
// loop (EventLoop::Watch, for readability) and call Accept() until it
// reports no more connections.
//
// Admission: ListenOptions::peers is every backend's PeerFilter
// (backends/peer_filter.h), narrowed to vsock CIDs: a connection from a
// vsock peer whose CID is not listed is closed as soon as it is accepted,
// before any of its data is read, and reported to peers.on_refused; an
// `admit` hook can add any other check (reported the same way). Accept()
// never returns such a connection. A VmId allowlist is refused by Listen()
// (it needs Windows), and any allowlist on a Unix listener.
//
// Unix sockets: a socket file left behind by a listener that is gone (a
// connection attempt is refused) is removed and the bind retried; a file
// that something still listens on, or that is not a socket, is left alone
// and the error says which. The listener removes its own socket file when
// destroyed (unless the file has been replaced since).
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_LISTENER_H_
#define HVSOCK_BACKENDS_POSIX_LISTENER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/address.h"
#include "backends/peer_filter.h"
#include "backends/posix/unique_fd.h"

namespace hvsock {

struct ListenOptions {
  int backlog = 128;
  // Which peers are admitted, and the report of those refused. vsock
  // listeners only: peers.allowed_cids (empty admits all).
  PeerFilter peers;
  // Any further admission check: a non-OK status rejects the peer (after
  // the CID check).
  absl::AnyInvocable<absl::Status(const Address& peer)> admit;
  // Unix listeners: remove a stale socket file at the path (see above).
  bool remove_stale_socket = true;
};

// OK if `filter` admits everyone or `peer` is a vsock address with a
// listed CID; otherwise PermissionDenied saying which CID was refused.
absl::Status CheckPeerCid(const PeerFilter& filter, const Address& peer);

// A connection taken from a listener.
struct AcceptedConnection {
  UniqueFd fd;  // connected, non-blocking, close-on-exec
  Address peer;
};

class Listener {
 public:
  // Errors: InvalidArgument (bad address or options), AlreadyExists
  // (something listens there, or a non-socket file is in the way),
  // PermissionDenied, and others from the kernel, each naming the URI.
  static absl::StatusOr<std::unique_ptr<Listener>> Listen(
      const Address& address, ListenOptions options = {});
  ~Listener();

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_.get(); }
  // The bound address as the kernel reports it (a vsock port chosen by the
  // kernel when VsockAddress::kPortAny was asked for).
  const Address& local_address() const { return local_; }

  // The next admitted connection, or nullopt when none is pending. Rejected
  // connections are closed and reported on the way. Fails on listening
  // socket errors (EMFILE, ENFILE, ENOBUFS...), which may be transient: the
  // connection stays queued and the socket readable, so a caller that
  // retries at once spins. LoopListener (loop_listener.h) backs off instead.
  absl::StatusOr<std::optional<AcceptedConnection>> Accept();

  uint64_t accepted_count() const { return accepted_; }
  uint64_t rejected_count() const { return rejected_; }
  // Accept() calls that failed (each one failed accept4 call).
  uint64_t failed_accept_count() const { return failed_accepts_; }

 private:
  Listener(UniqueFd fd, Address local, ListenOptions options)
      : fd_(std::move(fd)),
        local_(std::move(local)),
        options_(std::move(options)) {}

  UniqueFd fd_;
  Address local_;
  ListenOptions options_;
  bool owns_socket_file_ = false;  // Unix: remove it on destruction
  dev_t file_dev_ = 0;
  ino_t file_ino_ = 0;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
  uint64_t failed_accepts_ = 0;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_LISTENER_H_
