#include "tools/hvstress/echo_server_group.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/hvstress/echo_server.h"
#include "tools/hvstress/mux_echo_server.h"

namespace hvsock::hvstress {

absl::StatusOr<std::unique_ptr<EchoServerGroup>> EchoServerGroup::Start(
    const Address& address, const FlowOptions& flow_options, size_t threads) {
  if (absl::Status valid = flow_options.Validate(); !valid.ok()) return valid;
  return Start(address, threads, [&flow_options](EventLoop& loop) {
    return EchoServer::ForHandedFlows(loop, flow_options);
  });
}

absl::StatusOr<std::unique_ptr<EchoServerGroup>>
EchoServerGroup::StartMultiplexed(const Address& address,
                                  const MuxOptions& mux_options,
                                  size_t threads) {
  if (absl::Status valid = mux_options.Validate(); !valid.ok()) return valid;
  return Start(address, threads, [&mux_options](EventLoop& loop) {
    return MuxEchoServer::ForHandedConnections(loop, mux_options);
  });
}

absl::StatusOr<std::unique_ptr<EchoServerGroup>> EchoServerGroup::Start(
    const Address& address, size_t threads,
    const ServiceFactory& make_service) {
  std::unique_ptr<EchoServerGroup> self(new EchoServerGroup());
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(threads);
  if (!group.ok()) return group.status();
  self->group_ = *std::move(group);
  ListenOptions listen_options;
  listen_options.backlog = 1024;
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(address, std::move(listen_options));
  if (!listener.ok()) return listener.status();
  self->listener_ = *std::move(listener);
  for (size_t i = 0; i < threads; ++i) {
    self->servers_.push_back(make_service(self->group_->loop(i)));
  }
  EchoServerGroup* raw = self.get();
  absl::Status served = self->group_->Serve(
      *self->listener_,
      [raw](size_t index, EventLoop&, AcceptedConnection connection) {
        raw->servers_[index]->Adopt(std::move(connection.fd));
      },
      [raw](const absl::Status& error) {
        raw->accept_errors_.Add("accept", error.message());
      });
  if (!served.ok()) return served;
  self->group_->Start();
  return self;
}

absl::Status EchoServerGroup::Stop() {
  if (stopped_) return stop_status_;
  stopped_ = true;
  stop_status_ = group_->Stop();
  // The loops' threads have ended: tally, then drop the open flows here.
  stats_ = EchoServerStats();
  stats_.errors.Merge("", accept_errors_);
  for (const std::unique_ptr<EchoService>& server : servers_) {
    const EchoServerStats& one = server->stats();
    stats_.accepted += one.accepted;
    stats_.closed += one.closed;
    stats_.failed += one.failed;
    stats_.bytes_echoed += one.bytes_echoed;
    stats_.errors.Merge("", one.errors);
    accepted_per_thread_.push_back(one.accepted);
    connections_per_thread_.push_back(server->connections());
  }
  servers_.clear();
  return stop_status_;
}

EchoServerGroup::~EchoServerGroup() {
  if (group_ != nullptr) Stop().IgnoreError();
}

}  // namespace hvsock::hvstress
