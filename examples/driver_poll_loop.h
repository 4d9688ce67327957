// RunDriverWithPoll: one flow on a SocketDriver, driven by a hand-written
// poll(2) loop through the driver's seam (Drive() and its DriveResult; see
// backends/posix/socket_driver.h). It is the code behind the poll loop in
// backends/posix/README.md, complete and tested (driver_poll_loop_test.cc).
// For many flows on one poll() loop, see
// examples/downstream/poll_echo_server.cc.
//
// Thread-compatible: runs on the calling thread until the flow finishes.
#ifndef HVSOCK_EXAMPLES_DRIVER_POLL_LOOP_H_
#define HVSOCK_EXAMPLES_DRIVER_POLL_LOOP_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "backends/posix/socket_driver.h"
#include "backends/posix/unique_fd.h"
#include "core/flow.h"

namespace hvsock::examples {

// What the application does with an event; it gives commands through the
// driver (Write, Read, Close(now), Abort), which wake the loop.
using DriverApplication =
    absl::FunctionRef<void(SocketDriver& driver, FlowEvent event)>;

// Runs `flow` over the connected socket `fd` until the flow has finished,
// then closes the socket. Returns the flow's error (OK when its close
// completed), or FailedPrecondition if the flow waits for something only
// the application could do and nothing else can happen.
absl::Status RunDriverWithPoll(Flow flow, UniqueFd fd,
                               DriverApplication application);

}  // namespace hvsock::examples

#endif  // HVSOCK_EXAMPLES_DRIVER_POLL_LOOP_H_
