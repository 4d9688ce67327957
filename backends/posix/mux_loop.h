// LoopMux: a multiplexer connection run by the reference EventLoop
// (event_loop.h): one socket watched by the loop, its channels used by the
// application on the loop's thread.
//
// The loop watches the socket (FdWatch, with the interest the driver asks
// for) and arms a timer for the connection's next deadline (the channels'
// close timeouts). After each readiness or timer, and after Kick(), the
// driver does the IO; then `on_news` is called so the application can poll
// the connection: PollIncoming() for the peer's Opens, PollChannelEvent()
// and each channel's PollEvent() for channel news. After application
// commands on channels (Open, Accept, Write, Close, Read...) call Kick() so
// the bytes leave now. `on_news` is never called from inside Kick() or a
// command.
//
// LoopMux is the posix MuxRunner (backends/mux_runner.h): channel handles
// (backends/mux_channel_handle.h) drive it through that interface.
//
// When the connection fails (the socket ended or broke, or the peer broke
// the protocol) every unfinished channel fails, `on_news` is called once
// more, and the socket is closed.
//
// Thread-compatible: the loop's thread only. Destroy the LoopMux before
// its loop.
#ifndef HVSOCK_BACKENDS_POSIX_MUX_LOOP_H_
#define HVSOCK_BACKENDS_POSIX_MUX_LOOP_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "backends/mux_runner.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/mux_driver.h"
#include "backends/posix/unique_fd.h"
#include "core/mux/mux_connection.h"

namespace hvsock {

class LoopMux : public MuxRunner {
 public:
  using NewsCallback = absl::AnyInvocable<void(LoopMux&)>;

  static absl::StatusOr<std::unique_ptr<LoopMux>> Create(
      EventLoop& loop, UniqueFd fd, const MuxOptions& options,
      NewsCallback on_news);
  ~LoopMux() override;
  LoopMux(const LoopMux&) = delete;
  LoopMux& operator=(const LoopMux&) = delete;

  // ── MuxRunner ───────────────────────────────────────────────────────
  MuxConnection& mux() override { return *mux_; }
  // Does the IO that application commands made necessary.
  void Kick() override;
  absl::Time Now() override { return loop_.Now(); }

  EventLoop& loop() { return loop_; }
  const MuxSocketDriver& driver() const { return *driver_; }
  // The socket is closed (the connection failed or ended).
  bool closed() const { return driver_->fd() < 0; }

 private:
  LoopMux(EventLoop& loop, std::unique_ptr<MuxConnection> mux, UniqueFd fd,
          NewsCallback on_news);
  void OnReady(Readiness ready);
  void Rearm();

  EventLoop& loop_;
  std::unique_ptr<MuxConnection> mux_;
  std::unique_ptr<MuxSocketDriver> driver_;
  NewsCallback on_news_;
  FdWatch* watch_ = nullptr;
  LoopTimer timer_;
  absl::Time timer_at_ = absl::InfiniteFuture();
  bool in_kick_ = false;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_MUX_LOOP_H_
