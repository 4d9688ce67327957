// IocpMux: a multiplexer connection (core/mux/mux_connection.h) over one
// connected Winsock stream socket, run with overlapped I/O by an IoLoop
// (winsock_io_loop.h; IocpLoop is the reference): the Winsock counterpart
// of the posix LoopMux (backends/posix/mux_loop.h), and like it a MuxRunner
// (backends/mux_runner.h), so the one MuxChannelHandle
// (backends/mux_channel_handle.h) serves its channels as FlowHandles.
//
// The driver moves bytes and nothing else:
//  * one WSARecv is always in flight, into the connection's
//    ReceiveSpaces() as a WSABUF array (a Data payload lands straight in
//    its channel's receive buffer; the connection takes every byte: its
//    channels' memory is bounded by the windows it grants), committed with
//    CommitReceived() when it completes;
//  * at most one WSASend is in flight, of the connection's transmit spans
//    as WSABUFs (no copy: the spans stay valid until consumed); a partial
//    completion is consumed at the byte where it stopped and the rest goes
//    in the next send;
//  * the connection's NextDeadline() (the channels' close timeouts) is a
//    deadline on the loop, which then calls HandleTimeout();
//  * transport EOF and errors are reported to the connection, which fails
//    every channel that has not finished.
// It never shuts the socket's write side: channels end with Shutdown and
// Close frames.
//
// Application side: after commands on the connection's channels (Open,
// Accept, Write, Read, Close, Abort, Release) call Kick(), which starts the
// IO they need. `on_news` is called from the loop only, after IO completed,
// a deadline passed, or a Kick() raised news, never from inside Kick() or a
// command: there, poll the connection (PollIncoming() for the peer's Opens,
// PollChannelEvent() and each channel's PollEvent()). on_news may issue
// commands and Kick(), and may destroy the IocpMux.
//
// When the connection fails (the socket ended or broke, or the peer broke
// the protocol) every unfinished channel fails, `on_news` is called once
// more, IO in flight is cancelled and the socket is closed, with a reset
// (SO_LINGER 0) so the peer cannot mistake the end for a clean one.
//
// Lifetime: destroy channel handles (release channels) before the IocpMux,
// and the IocpMux before its loop. Destroying it closes the socket; IO in
// flight is cancelled, and the connection and the socket live on, detached,
// until its completions have arrived (IocpLoop's destructor waits for
// them), since the kernel still holds the buffers they lend.
//
// Sockets from ConnectEx or AcceptEx work as they are (the mux never calls
// shutdown). The socket's family does not matter (AF_HYPERV in production,
// AF_INET loopback in tests).
//
// Windows only. Thread-compatible: the loop's thread only.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_MUX_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_MUX_H_

#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/mux_runner.h"
#include "backends/winsock/winsock_io_loop.h"
#include "backends/winsock/winsock_socket.h"
#include "core/mux/mux_connection.h"
#include "core/mux/mux_options.h"

namespace hvsock {

// What the driver did with its socket.
struct IocpMuxStats {
  uint64_t sends = 0;        // WSASends completed
  uint64_t short_sends = 0;  // of which sent less than was offered
  uint64_t receives = 0;     // WSARecvs completed with bytes
};

class IocpMux : public MuxRunner {
 public:
  using NewsCallback = absl::AnyInvocable<void(IocpMux&)>;

  // Takes `socket` (connected, overlapped), attaches it to `loop`, queues
  // the connection's preamble and starts receiving. Fails
  // (kInvalidArgument) if options.Validate() does or the socket is
  // invalid, or with the loop's error if it cannot attach the socket.
  static absl::StatusOr<std::unique_ptr<IocpMux>> Create(
      IoLoop& loop, UniqueSocket socket, const MuxOptions& options,
      NewsCallback on_news);
  ~IocpMux() override;
  IocpMux(const IocpMux&) = delete;
  IocpMux& operator=(const IocpMux&) = delete;

  // ── MuxRunner ───────────────────────────────────────────────────────
  MuxConnection& mux() override;
  // Starts the IO that application commands made necessary.
  void Kick() override;
  // The loop's clock.
  absl::Time Now() override;

  // ── Getters ─────────────────────────────────────────────────────────
  // The socket is closed (the connection failed or ended).
  bool closed() const;
  // Overlapped operations (send, receive) now in flight: 0, 1 or 2.
  int operations_in_flight() const;
  const IocpMuxStats& stats() const;

  class Driver;  // the state that outlives this handle while IO is in flight

 private:
  explicit IocpMux(Driver* driver) : driver_(driver) {}
  Driver* driver_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_MUX_H_
