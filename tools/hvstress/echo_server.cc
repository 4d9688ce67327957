#include "tools/hvstress/echo_server.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/flow_error.h"

namespace hvsock::hvstress {

namespace {
// Most bytes taken from a flow per read: what the echo may hold beyond the
// flow's own buffers.
constexpr size_t kMaxRead = 256 * 1024;
}  // namespace

// One flow's echo.
struct EchoServer::Echo {
  absl::Cord pending;  // read, not yet taken by the flow's send queue
  bool eof = false;
  bool finished = false;
};

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(
    EventLoop& loop, const Address& address, const FlowOptions& flow_options,
    std::function<void(const ListenerReport&)> on_listener_report) {
  if (absl::Status valid = flow_options.Validate(); !valid.ok()) return valid;
  ListenOptions listen_options;
  listen_options.backlog = 1024;
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(address, std::move(listen_options));
  if (!listener.ok()) return listener.status();
  std::unique_ptr<EchoServer> server(new EchoServer(loop, flow_options));
  EchoServer* raw = server.get();
  LoopListenerOptions accept_options;
  accept_options.on_report =
      [raw, on_listener_report =
                std::move(on_listener_report)](const ListenerReport& report) {
        if (report.kind == ListenerReport::Kind::kAcceptPaused) {
          raw->stats_.errors.Add("accept paused", report.error.message());
        }
        if (on_listener_report) on_listener_report(report);
      };
  absl::StatusOr<std::unique_ptr<LoopListener>> accepting = LoopListener::Start(
      loop, *std::move(listener),
      [raw](AcceptedConnection accepted) { raw->Adopt(std::move(accepted)); },
      std::move(accept_options));
  if (!accepting.ok()) return accepting.status();
  raw->accepting_ = *std::move(accepting);
  return server;
}

std::unique_ptr<EchoServer> EchoServer::ForHandedFlows(
    EventLoop& loop, const FlowOptions& flow_options) {
  return std::unique_ptr<EchoServer>(new EchoServer(loop, flow_options));
}

EchoServer::~EchoServer() {
  accepting_.reset();
  for (FlowHandle* flow : open_) LoopFlow::Of(*flow).Release();
}

void EchoServer::Adopt(AcceptedConnection accepted) {
  Adopt(std::move(accepted.fd));
}

void EchoServer::Adopt(UniqueFd fd) {
  auto echo = std::make_unique<Echo>();
  Echo* raw_echo = echo.get();
  absl::StatusOr<LoopFlow*> flow = loop_.AddFlow(
      std::move(fd), flow_options_,
      [this, echo = std::move(echo)](FlowHandle& f, FlowEvent event) {
        OnEvent(f, *echo, event);
      });
  if (!flow.ok()) {
    stats_.errors.Add("accept", flow.status().message());
    return;
  }
  ++stats_.accepted;
  open_.insert(*flow);
  Pump(**flow, *raw_echo);
}

void EchoServer::OnEvent(FlowHandle& flow, Echo& echo, FlowEvent event) {
  if (echo.finished) return;
  switch (event) {
    case FlowEvent::kReadable:
    case FlowEvent::kWritable:
      Pump(flow, echo);
      return;
    case FlowEvent::kCloseCompleted:
      Finish(flow, echo, absl::OkStatus());
      return;
    case FlowEvent::kFailed:
      Finish(flow, echo, flow.flow().error());
      return;
  }
}

void EchoServer::Pump(FlowHandle& flow, Echo& echo) {
  while (!echo.finished) {
    if (!echo.pending.empty()) {
      absl::Status written = flow.Write(echo.pending);
      if (IsFlowError(written, FlowErrorKind::kWouldBlock)) return;
      if (!written.ok()) {
        // Refused for good: the flow failed (kFailed follows) or the client
        // said it reads no more.
        if (!flow.flow().IsFinished()) Finish(flow, echo, written);
        return;
      }
      stats_.bytes_echoed += echo.pending.size();
      echo.pending.Clear();
    }
    if (echo.eof) return;
    absl::StatusOr<ReadResult> read = flow.Read(kMaxRead);
    if (!read.ok()) return;  // the failure arrives as kFailed
    if (read->would_block()) return;
    if (read->is_eof()) {
      echo.eof = true;
      if (absl::Status closed = flow.Close(); !closed.ok()) {
        Finish(flow, echo, closed);
      }
      return;
    }
    echo.pending = std::move(*read).data();
  }
}

void EchoServer::Finish(FlowHandle& flow, Echo& echo,
                        const absl::Status& error) {
  echo.finished = true;
  open_.erase(&flow);
  if (error.ok()) {
    ++stats_.closed;
  } else {
    ++stats_.failed;
    stats_.errors.Add(FlowErrorKindOf(error), DescribeFlowError(error));
  }
  LoopFlow::Of(flow).Release();
}

}  // namespace hvsock::hvstress
