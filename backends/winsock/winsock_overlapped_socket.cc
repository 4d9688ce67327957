#include "backends/winsock/winsock_overlapped_socket.h"

#include <algorithm>

#include "backends/winsock/winsock_error.h"

namespace hvsock {
namespace {

// The most a WSABUF is given, so its ULONG length cannot wrap.
constexpr size_t kMaxBufferLength = size_t{1} << 30;

}  // namespace

absl::Status OverlappedSocket::Attach() {
  if (absl::Status attached = loop_.Attach(socket_.get()); !attached.ok()) {
    return attached;
  }
  attached_ = true;
  return absl::OkStatus();
}

absl::Status OverlappedSocket::Send(absl::Span<const absl::string_view> spans) {
  const size_t count = std::min(spans.size(), kMaxSendSpans);
  send_offered_ = 0;
  for (size_t i = 0; i < count; ++i) {
    send_buffers_[i].buf = const_cast<char*>(spans[i].data());
    send_buffers_[i].len = static_cast<ULONG>(spans[i].size());
    send_offered_ += spans[i].size();
  }
  cancelled_ = false;
  send_.Start();
  if (WSASend(socket_.get(), send_buffers_, static_cast<DWORD>(count), nullptr,
              0, &send_.overlapped, nullptr) != 0) {
    const int error = WSAGetLastError();
    if (error != WSA_IO_PENDING) {
      send_.pending = false;
      return WinsockStatus(error, "WSASend");
    }
  }
  return absl::OkStatus();
}

absl::Status OverlappedSocket::Receive(
    absl::Span<const absl::Span<char>> spaces) {
  DWORD used = 0;
  receive_lent_ = 0;
  for (size_t i = 0; i < spaces.size() && used < kMaxReceiveSpaces; ++i) {
    if (spaces[i].empty()) continue;
    const size_t length = std::min(spaces[i].size(), kMaxBufferLength);
    receive_buffers_[used].buf = spaces[i].data();
    receive_buffers_[used].len = static_cast<ULONG>(length);
    receive_lent_ += length;
    ++used;
    if (length < spaces[i].size()) break;  // the spaces fill in order
  }
  if (used == 0) {
    receive_buffers_[0] = WSABUF{};  // zero bytes: wait for data
    used = 1;
  }
  DWORD flags = 0;
  cancelled_ = false;
  receive_.Start();
  if (WSARecv(socket_.get(), receive_buffers_, used, nullptr, &flags,
              &receive_.overlapped, nullptr) != 0) {
    const int error = WSAGetLastError();
    if (error != WSA_IO_PENDING) {
      receive_.pending = false;
      return WinsockStatus(error, "WSARecv");
    }
  }
  return absl::OkStatus();
}

void OverlappedSocket::CancelInFlight() {
  if (in_flight() == 0 || cancelled_) return;
  CancelIoEx(reinterpret_cast<HANDLE>(socket_.get()), nullptr);
  cancelled_ = true;
}

void OverlappedSocket::Close(bool reset) {
  const SOCKET closing = socket_.get();
  if (reset) {
    CloseWithReset(socket_);
  } else {
    socket_.reset();
  }
  if (attached_) {
    loop_.Detach(closing);
    attached_ = false;
  }
}

}  // namespace hvsock
