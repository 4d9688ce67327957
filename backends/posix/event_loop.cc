#include "backends/posix/event_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "backends/posix/socket_address.h"

namespace hvsock {
namespace {

constexpr uint32_t kFlowEpollEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

uint32_t EpollEventsFor(Readiness interest) {
  uint32_t events = 0;
  if (Any(interest & Readiness::kReadable)) events |= EPOLLIN;
  if (Any(interest & Readiness::kWritable)) events |= EPOLLOUT;
  return events;
}

Readiness ReadinessOf(uint32_t events) {
  Readiness ready = Readiness::kNone;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)) {
    ready = ready | Readiness::kReadable;
  }
  if (events & EPOLLOUT) ready = ready | Readiness::kWritable;
  if (events & (EPOLLERR | EPOLLHUP)) ready = ready | Readiness::kError;
  return ready;
}

}  // namespace

// ── LoopFlow ───────────────────────────────────────────────────────────

LoopFlow::LoopFlow(EventLoop& loop, Flow flow, UniqueFd fd,
                   FlowEventCallback on_event)
    : LoopEntry(Kind::kFlow),
      loop_(loop),
      driver_(std::move(flow), std::move(fd),
              [this] {
                if (!released) loop_.MarkDirty(this);
              }),
      on_event_(std::move(on_event)) {}

absl::Status LoopFlow::Write(absl::Cord data) {
  return driver_.Write(std::move(data));
}

absl::Status LoopFlow::Write(absl::string_view data) {
  return driver_.Write(data);
}

absl::Status LoopFlow::Writev(absl::Span<absl::Cord> buffers) {
  return driver_.Writev(buffers);
}

absl::Status LoopFlow::Close() { return driver_.Close(loop_.Now()); }

void LoopFlow::Abort() { driver_.Abort(); }

absl::StatusOr<ReadResult> LoopFlow::Read(size_t max_bytes) {
  return driver_.Read(max_bytes);
}

void LoopFlow::Release() {
  if (!released) loop_.ReleaseFlow(this);
}

// ── FdWatch ────────────────────────────────────────────────────────────

absl::Status FdWatch::SetInterest(Readiness interest) {
  if (released || interest == interest_) return absl::OkStatus();
  epoll_event event{};
  event.events = EpollEventsFor(interest);
  event.data.ptr = static_cast<internal::LoopEntry*>(this);
  if (::epoll_ctl(loop_.epoll_.get(), EPOLL_CTL_MOD, fd_, &event) != 0) {
    return PosixError(errno, absl::StrCat("epoll_ctl MOD fd ", fd_));
  }
  interest_ = interest;
  return absl::OkStatus();
}

void FdWatch::Release() {
  if (!released) loop_.ReleaseWatch(this);
}

// ── LoopTimer ──────────────────────────────────────────────────────────

LoopTimer& LoopTimer::operator=(LoopTimer&& other) noexcept {
  if (this != &other) {
    Cancel();
    loop_ = std::exchange(other.loop_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void LoopTimer::Cancel() {
  if (loop_ != nullptr) std::exchange(loop_, nullptr)->CancelTimer(id_);
}

bool LoopTimer::pending() const {
  return loop_ != nullptr && loop_->timer_times_.contains(id_);
}

// ── EventLoop ──────────────────────────────────────────────────────────

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  return Create(Options());
}

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(Options options) {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return PosixError(errno, "epoll_create1");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return PosixError(errno, "eventfd");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;  // the wake-up, not a LoopEntry
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &event) != 0) {
    return PosixError(errno, "epoll_ctl ADD eventfd");
  }
  return std::unique_ptr<EventLoop>(
      new EventLoop(std::move(options), std::move(epoll), std::move(wake)));
}

EventLoop::EventLoop(Options options, UniqueFd epoll, UniqueFd wake)
    : options_(std::move(options)),
      epoll_(std::move(epoll)),
      wake_(std::move(wake)) {
  options_.max_events = std::max(1, options_.max_events);
  int wake_fd = wake_.get();
  posts_ = std::make_shared<PostQueue>([wake_fd] {
    uint64_t one = 1;
    // Fails only if the counter would overflow, which a pending wake-up
    // (this runs once per batch) cannot reach.
    ssize_t ignored = ::write(wake_fd, &one, sizeof(one));
    (void)ignored;
  });
}

EventLoop::~EventLoop() {
  // After Close() the queue never touches wake_ again, so it may be closed
  // with the loop even while LoopPosters live on.
  for (PostedCallback& callback : posts_->Close()) std::move(callback)();
  while (flows_ != nullptr) ReleaseFlow(flows_);
  while (!watches_.empty()) ReleaseWatch(watches_.back());
}

absl::StatusOr<LoopFlow*> EventLoop::AddFlow(UniqueFd fd,
                                             const FlowOptions& options,
                                             FlowEventCallback on_event) {
  absl::StatusOr<Flow> core = Flow::Create(options);
  if (!core.ok()) return core.status();
  int raw_fd = fd.get();
  std::unique_ptr<LoopFlow> flow(new LoopFlow(
      *this, *std::move(core), std::move(fd), std::move(on_event)));
  epoll_event event{};
  event.events = kFlowEpollEvents;
  event.data.ptr = static_cast<internal::LoopEntry*>(flow.get());
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, raw_fd, &event) != 0) {
    return PosixError(errno, absl::StrCat("epoll_ctl ADD fd ", raw_fd));
  }
  LoopFlow* raw = flow.release();
  raw->next_ = flows_;
  if (flows_ != nullptr) flows_->prev_ = raw;
  flows_ = raw;
  ++flow_count_;
  MarkDirty(raw);
  return raw;
}

absl::StatusOr<FdWatch*> EventLoop::Watch(int fd, Readiness interest,
                                          FdWatch::Callback callback) {
  auto watch = std::unique_ptr<FdWatch>(
      new FdWatch(*this, fd, interest, std::move(callback)));
  epoll_event event{};
  event.events = EpollEventsFor(interest);
  event.data.ptr = static_cast<internal::LoopEntry*>(watch.get());
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return PosixError(errno, absl::StrCat("epoll_ctl ADD fd ", fd));
  }
  watches_.push_back(watch.get());
  return watch.release();
}

LoopTimer EventLoop::AddTimer(absl::Time when,
                              absl::AnyInvocable<void()> callback) {
  uint64_t id = next_timer_id_++;
  app_timers_.emplace(std::make_pair(when, id), std::move(callback));
  timer_times_.emplace(id, when);
  return LoopTimer(this, id);
}

void EventLoop::CancelTimer(uint64_t id) {
  auto found = timer_times_.find(id);
  if (found == timer_times_.end()) return;  // fired or firing
  app_timers_.erase({found->second, id});
  timer_times_.erase(found);
}

void EventLoop::FireDueTimers(absl::Time now) {
  // Only the timers due when this starts: callbacks may add timers (even
  // already due ones) and cancel others, and those added wait for the
  // next pass so that a timer re-adding itself cannot hold the loop here.
  std::vector<std::pair<absl::Time, uint64_t>> due;
  for (auto it = app_timers_.begin();
       it != app_timers_.end() && it->first.first <= now; ++it) {
    due.push_back(it->first);
  }
  for (const auto& key : due) {
    auto it = app_timers_.find(key);
    if (it == app_timers_.end()) continue;  // cancelled by an earlier one
    // Unregistered before it runs, so the callback may destroy its handle
    // (and whatever owns it).
    absl::AnyInvocable<void()> callback = std::move(it->second);
    app_timers_.erase(it);
    timer_times_.erase(key.second);
    if (callback) callback();
  }
}

void EventLoop::RunPosted() {
  // Consume the wake-up before taking: a Post after the Take() writes the
  // eventfd again, so its callback cannot be left without a wake-up.
  uint64_t count = 0;
  ssize_t ignored = ::read(wake_.get(), &count, sizeof(count));
  (void)ignored;
  for (PostedCallback& callback : posts_->Take()) std::move(callback)();
}

void EventLoop::MarkDirty(LoopFlow* flow) {
  if (flow->dirty_) return;
  flow->dirty_ = true;
  dirty_.push_back(flow);
}

void EventLoop::Service(LoopFlow* flow, absl::Time now, Readiness ready) {
  if (flow->released) return;
  SocketDriver& driver = flow->driver_;
  const int fd = driver.fd();
  DriveResult result = driver.Drive(now, ready);
  if (result.finished && fd >= 0) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    driver.CloseTransport();
  }
  while (!flow->released) {
    std::optional<FlowEvent> event = driver.PollEvent();
    if (!event.has_value()) break;
    if (flow->on_event_) flow->on_event_(*flow, *event);
  }
  if (flow->released) return;
  if (result.drive_again) MarkDirty(flow);
  // The fd stays registered edge-triggered for both directions, so the
  // result's interest needs no epoll_ctl: the driver remembers readiness.
  Rearm(flow, result.finished ? std::nullopt : result.deadline);
}

void EventLoop::Rearm(LoopFlow* flow, std::optional<absl::Time> when) {
  absl::Time deadline = absl::InfiniteFuture();
  if (!flow->released && when.has_value()) deadline = *when;
  if (deadline == flow->armed_deadline_) return;
  if (flow->armed_deadline_ != absl::InfiniteFuture()) {
    timers_.erase({flow->armed_deadline_, flow});
  }
  flow->armed_deadline_ = deadline;
  if (deadline != absl::InfiniteFuture()) timers_.insert({deadline, flow});
}

void EventLoop::ReleaseFlow(LoopFlow* flow) {
  flow->released = true;
  if (!flow->driver_.flow().IsFinished()) flow->driver_.Abort();
  if (flow->driver_.fd() >= 0) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, flow->driver_.fd(), nullptr);
    flow->driver_.CloseTransport();
  }
  Rearm(flow, std::nullopt);
  if (flow->prev_ != nullptr) flow->prev_->next_ = flow->next_;
  if (flow->next_ != nullptr) flow->next_->prev_ = flow->prev_;
  if (flows_ == flow) flows_ = flow->next_;
  flow->prev_ = flow->next_ = nullptr;
  --flow_count_;
  released_flows_.emplace_back(flow);
}

void EventLoop::ReleaseWatch(FdWatch* watch) {
  watch->released = true;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, watch->fd_, nullptr);
  watches_.erase(std::find(watches_.begin(), watches_.end(), watch));
  released_watches_.emplace_back(watch);
}

int EventLoop::WaitMilliseconds(absl::Time now, absl::Duration max_wait) const {
  absl::Duration wait = max_wait;
  if (!timers_.empty()) wait = std::min(wait, timers_.begin()->first - now);
  if (!app_timers_.empty()) {
    wait = std::min(wait, app_timers_.begin()->first.first - now);
  }
  if (wait <= absl::ZeroDuration()) return 0;
  if (wait == absl::InfiniteDuration()) return -1;
  // Round up, so a deadline is never handled early and then waited for
  // again in a loop of zero-length sleeps.
  int64_t ms = absl::ToInt64Milliseconds(wait);
  if (absl::Milliseconds(ms) < wait) ++ms;
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

absl::Status EventLoop::RunOnce(absl::Duration max_wait) {
  absl::Time now = Now();
  // Flows with commands or unfinished reads since the last pass, in order.
  // Flows made dirty while this runs wait for the next pass.
  std::vector<LoopFlow*> dirty;
  dirty.swap(dirty_);
  for (LoopFlow* flow : dirty) flow->dirty_ = false;
  for (LoopFlow* flow : dirty) Service(flow, now, Readiness::kNone);

  // Work done above may be what the caller waits for: do not sleep then.
  int timeout =
      dirty.empty() && dirty_.empty() ? WaitMilliseconds(now, max_wait) : 0;
  events_.resize(static_cast<size_t>(options_.max_events));
  int count =
      ::epoll_wait(epoll_.get(), events_.data(), options_.max_events, timeout);
  if (count < 0) {
    if (errno != EINTR) return PosixError(errno, "epoll_wait");
    count = 0;
  }
  now = Now();
  for (int i = 0; i < count; ++i) {
    auto* entry = static_cast<internal::LoopEntry*>(events_[i].data.ptr);
    if (entry == nullptr) {
      RunPosted();
      continue;
    }
    if (entry->released) continue;
    Readiness ready = ReadinessOf(events_[i].events);
    if (entry->kind == internal::LoopEntry::Kind::kFlow) {
      Service(static_cast<LoopFlow*>(entry), now, ready);
    } else {
      auto* watch = static_cast<FdWatch*>(entry);
      if (watch->callback_) watch->callback_(ready);
    }
  }
  while (!timers_.empty() && timers_.begin()->first <= now) {
    LoopFlow* flow = timers_.begin()->second;
    timers_.erase(timers_.begin());
    flow->armed_deadline_ = absl::InfiniteFuture();
    Service(flow, now, Readiness::kNone);
  }
  FireDueTimers(now);
  // Released flows may still be queued for the next pass; unqueue them
  // before freeing them.
  std::erase_if(dirty_, [](LoopFlow* flow) { return flow->released; });
  released_flows_.clear();
  released_watches_.clear();
  return absl::OkStatus();
}

absl::Status EventLoop::Run() {
  stopped_ = false;
  while (!stopped_) {
    if (absl::Status status = RunOnce(); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace hvsock
