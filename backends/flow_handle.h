// FlowHandle: what an application holds for one flow, whatever carries it.
//
// The same commands and getters as core/flow.h's Flow, on every backend:
// the posix epoll loop's LoopFlow, the Winsock IOCP loop's WinsockFlow, and
// any other driver that runs a Flow. Code written against FlowHandle& (an
// echo, a copy, a verifier) runs unchanged on each of them.
//
// Commands keep the flow contract (core/flow.h): Write/Writev take the
// buffers; Read yields data, then Eof once everything in flight has been
// read; Close flushes, signals the end of our writes and completes when the
// peer has closed too; Abort drops the flow at once. A handle's commands
// only record what IO is needed: the driver does it, and delivers the
// resulting events, from its loop, never from inside a command.
//
// Events: each backend calls the application's FlowEventCallback with the
// handle and the FlowEvent (kReadable, kWritable, kCloseCompleted,
// kFailed), on the loop's thread. An event is "at most once until
// polled": after kReadable, read until kWouldBlock or Eof.
//
// Lifetime is the backend's business (LoopFlow::Release(), a
// std::unique_ptr<WinsockFlow>); FlowHandle only speaks of the flow.
//
// Thread-safety: a handle is used on its loop's thread only; another thread
// reaches it through Loop::Post (backends/loop.h).
#ifndef HVSOCK_BACKENDS_FLOW_HANDLE_H_
#define HVSOCK_BACKENDS_FLOW_HANDLE_H_

#include <cstddef>
#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/flow.h"

namespace hvsock {

class FlowHandle;

// The one event callback type of every backend: which flow, which event.
using FlowEventCallback = absl::AnyInvocable<void(FlowHandle&, FlowEvent)>;

class FlowHandle {
 public:
  virtual ~FlowHandle() = default;

  // ── Commands (core/flow.h), with the IO they need scheduled ──────────
  virtual absl::Status Write(absl::Cord data) = 0;
  // Copies `data`; a backend may take it without building a Cord first.
  virtual absl::Status Write(absl::string_view data) {
    return Write(absl::Cord(data));
  }
  virtual absl::Status Writev(absl::Span<absl::Cord> buffers) = 0;
  virtual absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX) = 0;
  // Flow::Close with the loop's clock.
  virtual absl::Status Close() = 0;
  virtual void Abort() = 0;

  // ── Getters ─────────────────────────────────────────────────────────
  // The flow itself; commands go through the handle, which schedules IO.
  virtual const Flow& flow() const = 0;
  FlowState state() const { return flow().state(); }
  FlowStats stats() const { return flow().stats(); }
  const absl::Status& error() const { return flow().error(); }
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_FLOW_HANDLE_H_
