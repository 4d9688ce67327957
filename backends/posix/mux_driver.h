// MuxSocketDriver: moves bytes between one multiplexer connection
// (core/mux/mux_connection.h) and one connected, non-blocking stream socket,
// with the same seam as SocketDriver (socket_driver.h): fd(), interest(),
// NextDeadline(), Drive(now, ready), wants_drive(), transport_finished(),
// CloseTransport(). A mux connection is then one more thing any loop
// drives; LoopMux (mux_loop.h) plugs it into the reference EventLoop.
//
// The driver reads the socket into the connection's ReceiveSpace() (a Data
// payload straight into its channel's receive buffer; the connection
// always takes every byte: its channels' memory is bounded by the windows
// it grants, not by the socket), sends the connection's transmit spans with
// one sendmsg (scatter-gather, MSG_NOSIGNAL, partial sends consumed at any
// byte) and reports EOF and errors to the connection, which fails every
// channel that has not finished. It never shuts the socket's write side:
// channels end with Shutdown and Close frames.
//
// Call Drive(now) after application commands on the connection's channels
// (Write, Close, Read, Abort, Accept, Open): it sends what they queued.
//
// Readiness may be level- or edge-triggered (socket_driver.h). With edge
// triggering the driver reads until EAGAIN: a short read does not prove the
// socket drained (EOF may wait behind the bytes, and gets no new edge). A
// loop that reports readiness level-triggered says so (kLevel); then a read
// that fills less than the space offered ends the attempt, since whatever
// came after it is reported again, and a bulk stream saves a failed read
// per wake-up.
//
// Memory: 8 KiB (one send's scatter-gather list) beyond the connection.
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_MUX_DRIVER_H_
#define HVSOCK_BACKENDS_POSIX_MUX_DRIVER_H_

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backends/posix/socket_driver.h"
#include "backends/posix/unique_fd.h"
#include "core/mux/mux_connection.h"

namespace hvsock {

class MuxSocketDriver {
 public:
  static constexpr size_t kMaxIov = 256;
  static constexpr size_t kReadBudget = 256 * 1024;

  enum class ReadinessReports { kEdge, kLevel };

  // `mux` must outlive the driver; `fd` is made non-blocking if it is not.
  MuxSocketDriver(MuxConnection& mux, UniqueFd fd,
                  ReadinessReports reports = ReadinessReports::kEdge);
  MuxSocketDriver(const MuxSocketDriver&) = delete;
  MuxSocketDriver& operator=(const MuxSocketDriver&) = delete;

  int fd() const { return fd_.get(); }
  Readiness interest();
  std::optional<absl::Time> NextDeadline() { return mux_.NextDeadline(); }
  void Drive(absl::Time now, Readiness ready = Readiness::kNone);
  bool wants_drive() const;
  bool transport_finished() const { return fd_.valid() && mux_.IsFinished(); }
  void CloseTransport();

  MuxConnection& mux() { return mux_; }
  const SocketDriverStats& stats() const { return stats_; }

 private:
  void Send();
  void Receive();
  void Fail(int error, const char* what);

  MuxConnection& mux_;
  UniqueFd fd_;
  SocketDriverStats stats_;
  const ReadinessReports reports_;
  // The scatter-gather list of one send, kept here rather than built on
  // the stack (the spans' constructors would clear 4 KiB per send).
  absl::string_view spans_[kMaxIov];
  iovec iov_[kMaxIov];
  bool readable_ = true;
  bool writable_ = true;
  bool budget_spent_ = false;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_MUX_DRIVER_H_
