// MuxRunner: a multiplexer connection (core/mux/mux_connection.h) as the
// driver that runs it on some loop presents it to the application, whatever
// the loop: LoopMux (backends/posix/mux_loop.h) on the epoll EventLoop and
// IocpMux (backends/winsock/winsock_mux.h) on an I/O completion port
// implement it. It is what a channel handle (mux_channel_handle.h) needs
// from its connection's driver, and what an application's news handler can
// be written against on every platform.
//
// The contract every implementation keeps:
//  * mux() is the sans-IO connection; the application opens, accepts and
//    uses channels on it directly;
//  * after such commands the application calls Kick(): the driver does (or,
//    with overlapped IO, starts) the IO they made necessary. Kick() never
//    calls the application back; the news it raises is reported by the loop
//    through the driver's own news callback, after IO, like every event;
//  * Now() is the loop's clock, the one the channels' close timeouts run on
//    (MuxChannel::Close takes it).
//
// Thread-compatible: the driver's loop thread only.
#ifndef HVSOCK_BACKENDS_MUX_RUNNER_H_
#define HVSOCK_BACKENDS_MUX_RUNNER_H_

#include "absl/time/time.h"
#include "core/mux/mux_connection.h"

namespace hvsock {

class MuxRunner {
 public:
  virtual ~MuxRunner() = default;

  // The connection this driver runs.
  virtual MuxConnection& mux() = 0;
  // Does the IO that application commands made necessary (see above).
  virtual void Kick() = 0;
  // The loop's clock.
  virtual absl::Time Now() = 0;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_MUX_RUNNER_H_
