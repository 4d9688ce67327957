// Socket pairs and descriptor limits for the socket benchmarks.
//
// Every socket benchmark runs over AF_UNIX stream socketpairs with the
// kernel's default buffer sizes, so the raw baseline and the flows see the
// same transport. Both ends are non-blocking and close-on-exec.
#ifndef HVSOCK_BENCH_SOCKET_PAIR_H_
#define HVSOCK_BENCH_SOCKET_PAIR_H_

#include <cstddef>
#include <utility>

#include "backends/posix/unique_fd.h"

namespace hvsock::testing {

// A connected AF_UNIX stream socketpair. Aborts the benchmark binary (with
// the errno) if the kernel refuses: a benchmark cannot run without one.
std::pair<UniqueFd, UniqueFd> MakeSocketPair();

// Raises RLIMIT_NOFILE's soft limit to its hard limit and returns the new
// soft limit (the number of descriptors this process may hold).
size_t RaiseDescriptorLimit();

}  // namespace hvsock::testing

#endif  // HVSOCK_BENCH_SOCKET_PAIR_H_
