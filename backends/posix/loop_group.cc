#include "backends/posix/loop_group.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hvsock {
namespace {

// Connections taken per readiness of the listener, so that a flood of
// connects cannot keep loop 0 from its own flows.
constexpr int kAcceptsPerPass = 64;

}  // namespace

absl::StatusOr<std::unique_ptr<LoopGroup>> LoopGroup::Create(size_t loops) {
  if (loops == 0) {
    return absl::InvalidArgumentError(
        "LoopGroup: expected at least 1 loop, got 0");
  }
  std::vector<std::unique_ptr<EventLoop>> made;
  for (size_t i = 0; i < loops; ++i) {
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    if (!loop.ok()) return loop.status();
    made.push_back(*std::move(loop));
  }
  return std::unique_ptr<LoopGroup>(new LoopGroup(std::move(made)));
}

LoopGroup::LoopGroup(std::vector<std::unique_ptr<EventLoop>> loops)
    : loops_(std::move(loops)), results_(loops_.size()) {}

LoopGroup::~LoopGroup() { Stop().IgnoreError(); }

absl::Status LoopGroup::Serve(Listener& listener, Adopt adopt,
                              AcceptError on_error) {
  if (!threads_.empty()) {
    return absl::FailedPreconditionError(
        "LoopGroup::Serve: expected before Start(), the loops are running");
  }
  if (listener_ != nullptr) {
    return absl::FailedPreconditionError(
        "LoopGroup::Serve: already serving a listener");
  }
  absl::StatusOr<FdWatch*> watch = loops_[0]->Watch(
      listener.fd(), Readiness::kReadable, [this](Readiness) { AcceptAll(); });
  if (!watch.ok()) return watch.status();
  listener_ = &listener;
  adopt_ = std::move(adopt);
  on_error_ = std::move(on_error);
  return absl::OkStatus();
}

void LoopGroup::AcceptAll() {
  for (int i = 0; i < kAcceptsPerPass; ++i) {
    absl::StatusOr<std::optional<AcceptedConnection>> accepted =
        listener_->Accept();
    if (!accepted.ok()) {
      if (on_error_) on_error_(accepted.status());
      return;
    }
    if (!accepted->has_value()) return;
    size_t index = NextLoop();
    EventLoop* target = loops_[index].get();
    // Dropping the callback (a refused Post, or stopping_ set) closes the
    // connection it holds.
    target->Post(
        [this, index, target, connection = std::move(**accepted)]() mutable {
          if (stopping_.load()) return;
          adopt_(index, *target, std::move(connection));
        });
  }
}

void LoopGroup::Start() {
  if (!threads_.empty()) return;
  for (size_t i = 0; i < loops_.size(); ++i) {
    threads_.emplace_back([this, i] { results_[i] = loops_[i]->Run(); });
  }
}

absl::Status LoopGroup::Stop() {
  stopping_.store(true);
  for (size_t i = 0; i < threads_.size(); ++i) {
    EventLoop* loop = loops_[i].get();
    loop->Post([loop] { loop->Stop(); });
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  for (size_t i = 0; i < results_.size(); ++i) {
    if (!results_[i].ok()) {
      return absl::Status(
          results_[i].code(),
          absl::StrCat("loop ", i, ": ", results_[i].message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace hvsock
