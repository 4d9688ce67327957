#include "backends/posix/loop_listener.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hvsock {

absl::StatusOr<std::unique_ptr<LoopListener>> LoopListener::Start(
    EventLoop& loop, std::unique_ptr<Listener> listener,
    AcceptCallback on_accepted, LoopListenerOptions options) {
  if (!(options.min_backoff > absl::ZeroDuration() &&
        options.min_backoff <= options.max_backoff &&
        options.max_backoff < absl::InfiniteDuration())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LoopListener: the backoffs must be 0 < min_backoff <= max_backoff "
        "< infinity; got min_backoff ",
        absl::FormatDuration(options.min_backoff), ", max_backoff ",
        absl::FormatDuration(options.max_backoff)));
  }
  if (options.max_accepts_per_pass < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("LoopListener: max_accepts_per_pass must be at least 1; "
                     "got ",
                     options.max_accepts_per_pass));
  }
  std::unique_ptr<LoopListener> loop_listener(new LoopListener(
      loop, std::move(listener), std::move(on_accepted), std::move(options)));
  loop_listener->backoff_ = loop_listener->options_.min_backoff;
  if (absl::Status watched = loop_listener->WatchListener(); !watched.ok()) {
    return watched;
  }
  return loop_listener;
}

LoopListener::~LoopListener() {
  if (destroyed_ != nullptr) *destroyed_ = true;
  if (watch_ != nullptr) watch_->Release();
  retry_.Cancel();
}

absl::Status LoopListener::WatchListener() {
  absl::StatusOr<FdWatch*> watch =
      loop_.Watch(listener_->fd(), Readiness::kReadable,
                  [this](Readiness) { AcceptPending(); });
  if (!watch.ok()) return watch.status();
  watch_ = *watch;
  return absl::OkStatus();
}

void LoopListener::AcceptPending() {
  for (int i = 0; i < options_.max_accepts_per_pass; ++i) {
    absl::StatusOr<std::optional<AcceptedConnection>> accepted =
        listener_->Accept();
    if (!accepted.ok()) {
      Pause(accepted.status());
      return;
    }
    if (paused_) Resume();  // stays paused if the loop refuses the socket
    if (!accepted->has_value()) return;
    bool destroyed = false;
    destroyed_ = &destroyed;
    on_accepted_(*std::move(*accepted));
    if (destroyed) return;
    destroyed_ = nullptr;
    if (paused_) return;  // the retry timer goes on
  }
}

void LoopListener::Pause(const absl::Status& error) {
  if (watch_ != nullptr) {
    watch_->Release();
    watch_ = nullptr;
  }
  if (paused_) {
    ++failed_retries_;
  } else {
    paused_ = true;
    ++pauses_;
    paused_since_ = loop_.Now();
    failed_retries_ = 0;
    backoff_ = options_.min_backoff;
    ListenerReport report;
    report.kind = ListenerReport::Kind::kAcceptPaused;
    report.error = absl::Status(
        error.code(),
        absl::StrCat(error.message(), "; accepting paused, retrying after ",
                     absl::FormatDuration(options_.min_backoff),
                     ", backing off to every ",
                     absl::FormatDuration(options_.max_backoff)));
    Report(report);
  }
  absl::Duration delay = backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  retry_ = loop_.AddTimer(loop_.Now() + delay, [this] { AcceptPending(); });
}

void LoopListener::Resume() {
  if (absl::Status watched = WatchListener(); !watched.ok()) {
    Pause(watched);  // the loop refused the descriptor: retry that too
    return;
  }
  paused_ = false;
  backoff_ = options_.min_backoff;
  ListenerReport report;
  report.kind = ListenerReport::Kind::kAcceptResumed;
  report.paused = loop_.Now() - paused_since_;
  report.failed_retries = failed_retries_;
  Report(report);
}

void LoopListener::Report(const ListenerReport& report) {
  if (!options_.on_report) return;
  options_.on_report(report);
}

}  // namespace hvsock
