// RunFlowByHand: one Flow over one connected, non-blocking stream socket,
// driven by hand with poll(2) and the Flow's own inputs and outputs (no
// SocketDriver). It is the code behind README.md's "Driving a flow": the
// order of calls at every turn of a loop, complete and tested
// (flow_by_hand_test.cc). Real programs use SocketDriver
// (backends/posix/socket_driver.h), which does the same with scatter-gather
// sends and a read budget; see driver_poll_loop.h.
//
// Thread-compatible: runs on the calling thread until the flow finishes.
#ifndef HVSOCK_EXAMPLES_FLOW_BY_HAND_H_
#define HVSOCK_EXAMPLES_FLOW_BY_HAND_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backends/posix/unique_fd.h"
#include "core/flow.h"

namespace hvsock::examples {

// What the application does with an event; it may give the flow any
// command (Write, Read, Close(now), Abort).
using FlowApplication =
    absl::FunctionRef<void(Flow& flow, FlowEvent event, absl::Time now)>;

// Runs `flow` over `fd` until the flow has finished, then closes `fd`
// (with a reset, SO_LINGER 0, if the flow failed). Returns the flow's error
// (OK when its close completed), or FailedPrecondition if the flow waits
// for something only the application could do (it stopped reading, with
// no timeout set) and nothing else can happen.
absl::Status RunFlowByHand(Flow& flow, UniqueFd fd,
                           FlowApplication application);

}  // namespace hvsock::examples

#endif  // HVSOCK_EXAMPLES_FLOW_BY_HAND_H_
