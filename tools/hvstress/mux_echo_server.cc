#include "tools/hvstress/mux_echo_server.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/flow_error.h"

namespace hvsock::hvstress {

absl::StatusOr<std::unique_ptr<MuxEchoServer>> MuxEchoServer::Start(
    EventLoop& loop, const Address& address, const MuxOptions& options) {
  if (absl::Status valid = options.Validate(); !valid.ok()) return valid;
  ListenOptions listen_options;
  listen_options.backlog = 1024;
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(address, std::move(listen_options));
  if (!listener.ok()) return listener.status();
  std::unique_ptr<MuxEchoServer> server(
      new MuxEchoServer(loop, *std::move(listener), options));
  MuxEchoServer* raw = server.get();
  absl::StatusOr<FdWatch*> watch =
      loop.Watch(raw->listener_->fd(), Readiness::kReadable,
                 [raw](Readiness) { raw->AcceptAll(); });
  if (!watch.ok()) return watch.status();
  raw->watch_ = *watch;
  return server;
}

std::unique_ptr<MuxEchoServer> MuxEchoServer::ForHandedConnections(
    EventLoop& loop, const MuxOptions& options) {
  return std::unique_ptr<MuxEchoServer>(
      new MuxEchoServer(loop, nullptr, options));
}

MuxEchoServer::~MuxEchoServer() {
  if (watch_ != nullptr) watch_->Release();
}

void MuxEchoServer::AcceptAll() {
  for (int i = 0; i < 64; ++i) {
    absl::StatusOr<std::optional<AcceptedConnection>> accepted =
        listener_->Accept();
    if (!accepted.ok()) {
      stats_.errors.Add(absl::StrCat("accept: ", accepted.status().message()));
      return;
    }
    if (!accepted->has_value()) return;
    Adopt(std::move((*accepted)->fd));
  }
}

void MuxEchoServer::Adopt(UniqueFd fd) {
  MuxOptions options = options_;
  options.connector = false;
  absl::StatusOr<std::unique_ptr<LoopMux>> mux = LoopMux::Create(
      loop_, std::move(fd), options, [this](LoopMux& m) { OnNews(m); });
  if (!mux.ok()) {
    stats_.errors.Add(absl::StrCat("mux: ", mux.status().message()));
    return;
  }
  ++connections_;
  muxes_.push_back(*std::move(mux));
}

void MuxEchoServer::OnNews(LoopMux& loop_mux) {
  MuxConnection& mux = loop_mux.mux();
  while (MuxChannel* incoming = mux.PollIncoming()) {
    if (absl::Status accepted = mux.Accept(incoming); !accepted.ok()) {
      stats_.errors.Add(DescribeFlowError(accepted));
      incoming->Release();
      continue;
    }
    ++stats_.accepted;
    echoes_.emplace(incoming, std::make_unique<Echo>());
    Pump(*incoming, *echoes_[incoming]);
  }
  while (MuxChannel* channel = mux.PollChannelEvent()) {
    while (channel->PollEvent().has_value()) {
    }
    auto it = echoes_.find(channel);
    if (it == echoes_.end()) continue;
    Pump(*channel, *it->second);
    if (channel->IsFinished()) {
      if (channel->state() == FlowState::kClosed) {
        ++stats_.closed;
      } else {
        ++stats_.failed;
        stats_.errors.Add(DescribeFlowError(channel->error()));
      }
      echoes_.erase(it);
      channel->Release();
    }
  }
  if (!mux.error().ok() && loop_mux.closed()) {
    // Channels were failed and reported above; the transport is closed.
    // (The LoopMux stays until the server ends: it is small.)
  }
}

void MuxEchoServer::Pump(MuxChannel& channel, Echo& echo) {
  while (!channel.IsFinished()) {
    if (!echo.pending.empty()) {
      absl::Status written = channel.Write(absl::Cord(echo.pending));
      if (!written.ok()) return;  // kWouldBlock, or the failure is reported
      stats_.bytes_echoed += echo.pending.size();
      echo.pending.Clear();
    }
    if (echo.eof) return;
    absl::StatusOr<ReadResult> read = channel.Read(256 * 1024);
    if (!read.ok() || read->would_block()) return;
    if (read->is_eof()) {
      echo.eof = true;
      channel.Close(loop_.Now()).IgnoreError();
      return;
    }
    echo.pending = std::move(*read).data();
  }
}

}  // namespace hvsock::hvstress
