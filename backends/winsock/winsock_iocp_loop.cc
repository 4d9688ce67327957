#include "backends/winsock/winsock_iocp_loop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "backends/winsock/winsock_error.h"

namespace hvsock {
namespace {

constexpr ULONG kBatch = 64;
// Completion keys of packets that carry no OVERLAPPED: Wake() sends
// kWakeKey, the first Post() after each batch is taken sends kPostKey.
constexpr ULONG_PTR kWakeKey = 0;
constexpr ULONG_PTR kPostKey = 1;

DWORD ToMilliseconds(absl::Duration wait) {
  if (wait <= absl::ZeroDuration()) return 0;
  // Round up so a deadline is never fired early by a truncated wait.
  int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
  return static_cast<DWORD>(std::min<int64_t>(ms, 24 * 3600 * 1000));
}

}  // namespace

absl::StatusOr<std::unique_ptr<IocpLoop>> IocpLoop::Create() {
  if (absl::Status started = EnsureWinsockStarted(); !started.ok()) {
    return started;
  }
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port == nullptr) {
    return WinsockStatus(static_cast<int>(GetLastError()),
                         "creating an I/O completion port");
  }
  return std::unique_ptr<IocpLoop>(new IocpLoop(port));
}

IocpLoop::IocpLoop(HANDLE port)
    : port_(port), posts_(std::make_shared<PostQueue>([port] {
        PostQueuedCompletionStatus(port, 0, kPostKey, nullptr);
      })) {}

IocpLoop::~IocpLoop() {
  // After Close() the queue never posts to port_ again, so the port may be
  // closed below even while LoopPosters live on.
  for (PostedCallback& callback : posts_->Close()) std::move(callback)();
  RunUntil([this] { return attached_.empty(); }, absl::Seconds(5))
      .IgnoreError();  // a few seconds at most; what remains is leaked
  CloseHandle(port_);
}

absl::Status IocpLoop::Attach(SOCKET socket) {
  if (attached_.contains(socket)) return absl::OkStatus();
  if (CreateIoCompletionPort(reinterpret_cast<HANDLE>(socket), port_, 0, 0) ==
      nullptr) {
    return WinsockStatus(static_cast<int>(GetLastError()),
                         "associating a socket with the completion port");
  }
  attached_.insert(socket);
  return absl::OkStatus();
}

void IocpLoop::Detach(SOCKET socket) { attached_.erase(socket); }

void IocpLoop::WatchDeadline(DeadlineWatcher* watcher) {
  if (std::find(watchers_.begin(), watchers_.end(), watcher) ==
      watchers_.end()) {
    watchers_.push_back(watcher);
  }
}

void IocpLoop::UnwatchDeadline(DeadlineWatcher* watcher) {
  // Null out rather than erase: FireDeadlines may be iterating.
  std::replace(watchers_.begin(), watchers_.end(), watcher,
               static_cast<DeadlineWatcher*>(nullptr));
}

absl::Time IocpLoop::Now() {
  last_now_ = std::max(last_now_, absl::Now());
  return last_now_;
}

absl::Status IocpLoop::RunOnce(absl::Duration max_wait) {
  absl::Time now = Now();
  absl::Duration wait = max_wait;
  for (DeadlineWatcher* watcher : watchers_) {
    if (watcher == nullptr) continue;
    if (std::optional<absl::Time> deadline = watcher->NextDeadline()) {
      wait = std::min(wait, *deadline - now);
    }
  }
  OVERLAPPED_ENTRY entries[kBatch];
  ULONG count = 0;
  if (!GetQueuedCompletionStatusEx(port_, entries, kBatch, &count,
                                   ToMilliseconds(wait), FALSE)) {
    const DWORD error = GetLastError();
    if (error != WAIT_TIMEOUT) {
      return absl::InternalError(absl::StrCat(
          "IocpLoop: waiting on the completion port failed (error ", error,
          ")"));
    }
    count = 0;
  }
  {
    for (ULONG i = 0; i < count; ++i) {
      if (entries[i].lpOverlapped == nullptr) {
        if (entries[i].lpCompletionKey == kPostKey) {
          // Each packet was sent by a Post that found no batch pending, so
          // taking now cannot strand a callback: a Post after this Take()
          // sends another packet.
          for (PostedCallback& callback : posts_->Take()) {
            std::move(callback)();
          }
        }
        continue;  // kWakeKey: Wake()
      }
      DispatchCompletion(entries[i].lpOverlapped);
      ++dispatched_;
    }
  }
  FireDeadlines();
  return absl::OkStatus();
}

void IocpLoop::FireDeadlines() {
  absl::Time now = Now();
  // Watchers added while firing wait for the next round.
  size_t count = watchers_.size();
  for (size_t i = 0; i < count; ++i) {
    DeadlineWatcher* watcher = watchers_[i];
    if (watcher == nullptr) continue;
    std::optional<absl::Time> deadline = watcher->NextDeadline();
    if (deadline.has_value() && *deadline <= now) watcher->OnDeadline(now);
  }
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), nullptr),
                  watchers_.end());
}

void IocpLoop::Wake() {
  PostQueuedCompletionStatus(port_, 0, kWakeKey, nullptr);
}

}  // namespace hvsock
