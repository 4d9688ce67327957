// Blocking Unix-socket helpers for the independent peers that the tools'
// end-to-end tests write by hand (POSIX; testonly). They use raw sockets
// only, no code of core/ or backends/, so a peer built on them checks the
// tool from outside.
//
// Thread-safety: plain functions on the descriptors they are given.
#ifndef HVSOCK_TOOLS_PEER_SOCKET_H_
#define HVSOCK_TOOLS_PEER_SOCKET_H_

#include <sys/un.h>

#include <string>

namespace hvsock::testing {

// The address of the Unix socket at `path` (cut to fit sun_path).
sockaddr_un UnixAddr(const std::string& path);

// Sends all of `data`, retrying after EINTR; false once a send fails (the
// error is in errno) or sends nothing. No SIGPIPE: a closed peer is a false.
bool SendAll(int fd, const std::string& data);

}  // namespace hvsock::testing

#endif  // HVSOCK_TOOLS_PEER_SOCKET_H_
