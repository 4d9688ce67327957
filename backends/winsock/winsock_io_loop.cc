#include "backends/winsock/winsock_io_loop.h"

namespace hvsock {

void DispatchCompletion(OVERLAPPED* overlapped) {
  IoOperation* operation = IoOperation::FromOverlapped(overlapped);
  DWORD bytes = 0;
  DWORD flags = 0;
  int error = 0;
  if (!WSAGetOverlappedResult(operation->socket, &operation->overlapped, &bytes,
                              FALSE, &flags)) {
    error = WSAGetLastError();
  }
  operation->pending = false;
  operation->on_complete(operation, bytes, error);
}

}  // namespace hvsock
