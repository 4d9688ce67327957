#include "tools/hvcat/std_streams_windows.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "backends/winsock/winsock_error.h"

namespace hvsock::hvcat {
namespace {

bool Usable(HANDLE handle) {
  return handle != nullptr && handle != INVALID_HANDLE_VALUE;
}

}  // namespace

// ── Standard input ─────────────────────────────────────────────────────

struct ThreadedStdInput::Shared {
  std::mutex mutex;
  std::condition_variable taken;  // the loop took the chunk, or stopped
  std::function<void()> wake;     // cleared by Stop
  std::string chunk;              // read, not yet taken
  bool has_chunk = false;
  bool ended = false;
  absl::Status error;
  bool stopped = false;
};

ThreadedStdInput::ThreadedStdInput(HANDLE handle, size_t chunk_size,
                                   std::function<void()> wake)
    : shared_(std::make_shared<Shared>()) {
  shared_->wake = std::move(wake);
  if (!Usable(handle)) {
    shared_->ended = true;
    return;
  }
  std::thread([shared = shared_, handle, chunk_size] {
    while (true) {
      std::string buffer(chunk_size, '\0');
      DWORD got = 0;
      BOOL ok = ReadFile(handle, buffer.data(), static_cast<DWORD>(chunk_size),
                         &got, nullptr);
      DWORD error = ok ? 0 : GetLastError();
      std::unique_lock<std::mutex> lock(shared->mutex);
      if (shared->stopped) return;
      if (!ok && error != ERROR_BROKEN_PIPE && error != ERROR_HANDLE_EOF) {
        shared->error =
            WinsockStatus(static_cast<int>(error), "reading standard input");
        shared->ended = true;
      } else if (got == 0) {
        shared->ended = true;
      } else {
        buffer.resize(got);
        shared->chunk = std::move(buffer);
        shared->has_chunk = true;
      }
      shared->wake();
      if (shared->ended) return;
      shared->taken.wait(lock,
                         [&] { return !shared->has_chunk || shared->stopped; });
      if (shared->stopped) return;
    }
  }).detach();
}

absl::StatusOr<Transfer> ThreadedStdInput::Read(size_t max_bytes,
                                                absl::Cord& into) {
  if (unread_.empty()) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (shared_->has_chunk) {
      unread_ = absl::Cord(std::move(shared_->chunk));
      shared_->has_chunk = false;
      shared_->taken.notify_one();
    } else if (shared_->ended) {
      if (!shared_->error.ok()) return shared_->error;
      return Transfer::kEnded;
    } else {
      return Transfer::kWouldBlock;
    }
  }
  if (unread_.size() <= max_bytes) {
    into = std::move(unread_);
    unread_.Clear();
  } else {
    into = unread_.Subcord(0, max_bytes);
    unread_.RemovePrefix(max_bytes);
  }
  return Transfer::kMoved;
}

void ThreadedStdInput::Stop() {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  shared_->stopped = true;
  shared_->wake = nullptr;
  shared_->taken.notify_one();
}

// ── Standard output ────────────────────────────────────────────────────

struct ThreadedStdOutput::Shared {
  std::mutex mutex;
  std::condition_variable handed;  // a chunk to write, or stopped
  std::function<void()> wake;
  absl::Cord chunk;  // being written while `busy`
  bool busy = false;
  absl::Status error;
  bool stopped = false;
};

absl::StatusOr<std::unique_ptr<ThreadedStdOutput>> ThreadedStdOutput::Start(
    HANDLE handle, std::function<void()> wake) {
  if (!Usable(handle)) {
    return absl::FailedPreconditionError("standard output is closed");
  }
  auto shared = std::make_shared<Shared>();
  shared->wake = std::move(wake);
  std::thread([shared, handle] {
    std::unique_lock<std::mutex> lock(shared->mutex);
    while (true) {
      shared->handed.wait(lock,
                          [&] { return shared->busy || shared->stopped; });
      if (shared->stopped) return;
      absl::Cord chunk = std::move(shared->chunk);
      lock.unlock();
      absl::Status written;
      for (absl::string_view piece : chunk.Chunks()) {
        while (!piece.empty() && written.ok()) {
          DWORD put = 0;
          if (!WriteFile(handle, piece.data(), static_cast<DWORD>(piece.size()),
                         &put, nullptr)) {
            written = WinsockStatus(static_cast<int>(GetLastError()),
                                    "writing standard output");
          }
          piece.remove_prefix(put);
        }
      }
      lock.lock();
      if (shared->stopped) return;
      shared->error = written;
      shared->busy = false;
      shared->wake();
      if (!written.ok()) return;
    }
  }).detach();
  return std::unique_ptr<ThreadedStdOutput>(
      new ThreadedStdOutput(std::move(shared)));
}

ThreadedStdOutput::~ThreadedStdOutput() {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  shared_->stopped = true;
  shared_->wake = nullptr;
  shared_->handed.notify_one();
}

absl::StatusOr<Transfer> ThreadedStdOutput::Write(absl::Cord& data) {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  if (!shared_->error.ok()) return shared_->error;
  if (shared_->busy || data.empty()) return Transfer::kWouldBlock;
  shared_->chunk = std::move(data);
  data.Clear();
  shared_->busy = true;
  shared_->handed.notify_one();
  return Transfer::kMoved;
}

absl::StatusOr<bool> ThreadedStdOutput::AllWritten() {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  if (!shared_->error.ok()) return shared_->error;
  return !shared_->busy;
}

}  // namespace hvsock::hvcat
