// EchoServerThread: an EchoServer with its own EventLoop on its own thread.
//
// hvstress runs its in-process echo server this way, so the server and the
// clients each have a core of a two-core machine. Start() listens on the
// calling thread (so a bad address fails there, and the address is known
// before the first connect), then the thread serves until Stop().
//
// Thread-safety: Start, Stop and the destructor from one controlling
// thread; stats() only after Stop().
#ifndef HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_THREAD_H_
#define HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_THREAD_H_

#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/address.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"
#include "core/flow_options.h"
#include "tools/hvstress/echo_server.h"

namespace hvsock::hvstress {

class EchoServerThread {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServerThread>> Start(
      const Address& address, const FlowOptions& flow_options);
  ~EchoServerThread();  // stops it if still running

  EchoServerThread(const EchoServerThread&) = delete;
  EchoServerThread& operator=(const EchoServerThread&) = delete;

  const Address& address() const { return server_->address(); }

  // Stops serving (flows still open are dropped) and joins the thread.
  // Returns the loop's error, if it failed.
  absl::Status Stop();
  const EchoServerStats& stats() const { return server_->stats(); }

 private:
  EchoServerThread() = default;

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<EchoServer> server_;
  UniqueFd wake_;  // an eventfd: written by Stop()
  std::thread thread_;
  absl::Status loop_status_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_THREAD_H_
