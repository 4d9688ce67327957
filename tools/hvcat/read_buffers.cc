#include "tools/hvcat/read_buffers.h"

#include <utility>

#include "absl/strings/string_view.h"

namespace hvsock::hvcat {

ReadBuffers::ReadBuffers(size_t buffer_size, size_t keep)
    : state_(std::make_shared<State>()) {
  state_->buffer_size = buffer_size;
  state_->keep = keep;
}

ReadBuffers::Buffer ReadBuffers::Take() {
  if (!state_->idle.empty()) {
    Buffer buffer = std::move(state_->idle.back());
    state_->idle.pop_back();
    return buffer;
  }
  ++state_->allocated;
  return Buffer(new char[state_->buffer_size]);  // not zeroed
}

absl::Cord ReadBuffers::Wrap(Buffer buffer, size_t n) {
  if (n < state_->buffer_size / 4) {
    absl::Cord copy(absl::string_view(buffer.get(), n));
    state_->Return(std::move(buffer));
    return copy;
  }
  char* data = buffer.release();
  return absl::MakeCordFromExternal(absl::string_view(data, n),
                                    [state = state_, data](absl::string_view) {
                                      state->Return(Buffer(data));
                                    });
}

}  // namespace hvsock::hvcat
