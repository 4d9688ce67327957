#include "backends/posix/mux_loop.h"

#include <utility>

namespace hvsock {

absl::StatusOr<std::unique_ptr<LoopMux>> LoopMux::Create(
    EventLoop& loop, UniqueFd fd, const MuxOptions& options,
    NewsCallback on_news) {
  absl::StatusOr<std::unique_ptr<MuxConnection>> mux =
      MuxConnection::Create(options);
  if (!mux.ok()) return mux.status();
  std::unique_ptr<LoopMux> self(
      new LoopMux(loop, *std::move(mux), std::move(fd), std::move(on_news)));
  absl::StatusOr<FdWatch*> watch = loop.Watch(
      self->driver_->fd(), Readiness::kReadable | Readiness::kWritable,
      [raw = self.get()](Readiness ready) { raw->OnReady(ready); });
  if (!watch.ok()) return watch.status();
  self->watch_ = *watch;
  return self;
}

LoopMux::LoopMux(EventLoop& loop, std::unique_ptr<MuxConnection> mux,
                 UniqueFd fd, NewsCallback on_news)
    : loop_(loop),
      mux_(std::move(mux)),
      // FdWatch is level-triggered.
      driver_(std::make_unique<MuxSocketDriver>(
          *mux_, std::move(fd), MuxSocketDriver::ReadinessReports::kLevel)),
      on_news_(std::move(on_news)) {}

LoopMux::~LoopMux() {
  timer_.Cancel();
  if (watch_ != nullptr) watch_->Release();
  driver_->CloseTransport();
}

void LoopMux::Kick() {
  in_kick_ = true;
  driver_->Drive(loop_.Now());
  in_kick_ = false;
  Rearm();
}

void LoopMux::OnReady(Readiness ready) {
  // One reading of the clock for the whole pass: it lasts microseconds, and
  // a deadline noticed that much late does no harm.
  const absl::Time now = loop_.Now();
  driver_->Drive(now, ready);
  const bool failed = driver_->transport_finished();
  // The application's reaction (writes, closes) leaves now; IO may raise
  // more news (a close completing when its Shutdown leaves): tell it too.
  for (int round = 0; round < 4; ++round) {
    if (on_news_) on_news_(*this);
    driver_->Drive(now);
    if (!mux_->HasChannelNews()) break;
  }
  if (failed || driver_->transport_finished()) {
    if (watch_ != nullptr) {
      watch_->Release();
      watch_ = nullptr;
    }
    timer_.Cancel();
    driver_->CloseTransport();
    return;
  }
  Rearm();
}

void LoopMux::Rearm() {
  if (watch_ == nullptr) return;
  // News raised by IO outside OnReady (Kick): deliver it on the next pass.
  if (mux_->HasChannelNews() && on_news_) {
    timer_.Cancel();
    timer_at_ = loop_.Now();
    timer_ = loop_.AddTimer(timer_at_, [this] { OnReady(Readiness::kNone); });
    Readiness interest = driver_->interest();
    if (driver_->wants_drive()) interest = interest | Readiness::kReadable;
    if (watch_->interest() != interest)
      watch_->SetInterest(interest).IgnoreError();
    return;
  }
  Readiness interest = driver_->interest();
  // Level-triggered: ask only for what the driver does not know yet, and
  // for readability again when the read budget left bytes waiting (the
  // loop comes back after its other work).
  if (driver_->wants_drive()) interest = interest | Readiness::kReadable;
  if (watch_->interest() != interest)
    watch_->SetInterest(interest).IgnoreError();
  std::optional<absl::Time> deadline = driver_->NextDeadline();
  const absl::Time at = deadline.value_or(absl::InfiniteFuture());
  if (at != timer_at_ || !timer_.pending()) {
    timer_.Cancel();
    timer_at_ = at;
    if (deadline.has_value()) {
      timer_ = loop_.AddTimer(at, [this] { OnReady(Readiness::kNone); });
    }
  }
}

}  // namespace hvsock
