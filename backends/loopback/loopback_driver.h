// Loopback driver: moves bytes between one Flow and a pair of BytePipes, the
// way a socket backend moves them between a Flow and a socket.
//
// Each call does one bounded piece of work, chosen by the caller (the test
// harness picks chunk sizes to exercise every boundary):
//  * Transmit(max): send up to `max` bytes of the flow's transmit spans (a
//    partial send), or perform the shutdown the flow asks for.
//  * Receive(max): read up to `max` bytes into the flow's receive space, or
//    report the pipe's EOF / reset.
//  * CloseTransportIfFinished(): once the flow is finished, close the
//    transport: gracefully after a completed close, with a reset after a
//    failure (so the peer cannot mistake a lost stream for a clean end).
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_LOOPBACK_LOOPBACK_DRIVER_H_
#define HVSOCK_BACKENDS_LOOPBACK_LOOPBACK_DRIVER_H_

#include <cstddef>

#include "backends/loopback/byte_pipe.h"
#include "core/flow.h"

namespace hvsock {

class LoopbackDriver {
 public:
  // `in` carries the peer's bytes to this flow, `out` this flow's bytes.
  LoopbackDriver(Flow& flow, BytePipe& in, BytePipe& out)
      : flow_(flow), in_(in), out_(out) {}

  // Whether Transmit / Receive would do anything now.
  bool CanTransmit() const;
  bool CanReceive() const;

  // Returns the number of bytes moved (0 if it only signalled something).
  size_t Transmit(size_t max);
  size_t Receive(size_t max);
  // Returns true if it closed the transport just now.
  bool CloseTransportIfFinished();
  bool transport_closed() const { return transport_closed_; }

 private:
  Flow& flow_;
  BytePipe& in_;
  BytePipe& out_;
  bool eof_reported_ = false;
  bool transport_closed_ = false;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_LOOPBACK_LOOPBACK_DRIVER_H_
