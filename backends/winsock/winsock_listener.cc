#include "backends/winsock/winsock_listener.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/winsock/winsock_error.h"

namespace hvsock {

class WinsockListener::Acceptor : public DeadlineWatcher {
 public:
  Acceptor(IoLoop& loop, UniqueSocket socket, WinsockListenerOptions options,
           AcceptCallback on_accept, WinsockExtensions extensions,
           SocketAddress local)
      : loop_(loop),
        socket_(std::move(socket)),
        options_(std::move(options)),
        on_accept_(std::move(on_accept)),
        extensions_(extensions),
        local_(local) {
    op_.socket = socket_.get();
    op_.owner = this;
    op_.on_complete = &Acceptor::Done;
  }

  absl::Status Start() {
    if (absl::Status attached = loop_.Attach(socket_.get()); !attached.ok()) {
      return attached;
    }
    attached_ = true;
    StartAccept();
    return absl::OkStatus();
  }

  void Detach() {
    detached_ = true;
    on_accept_ = nullptr;
    if (retry_at_.has_value()) {
      retry_at_.reset();
      loop_.UnwatchDeadline(this);
    }
    if (dispatching_) return;  // OnAccepted finishes the job
    if (op_.pending) {
      CancelIoEx(reinterpret_cast<HANDLE>(socket_.get()), &op_.overlapped);
      return;  // Done() finishes the job
    }
    Finish();
  }

  const SocketAddress& local() const { return local_; }
  uint64_t rejected() const { return rejected_; }
  bool paused() const { return paused_; }
  uint64_t failed_retries() const { return failed_retries_; }
  uint64_t pauses() const { return pauses_; }

  // DeadlineWatcher: the retry after a backoff.
  std::optional<absl::Time> NextDeadline() const override { return retry_at_; }
  void OnDeadline(absl::Time now) override {
    if (!retry_at_.has_value() || now < *retry_at_) return;
    retry_at_.reset();
    loop_.UnwatchDeadline(this);
    dispatching_ = true;  // a report may destroy the listener meanwhile
    StartAccept();
    dispatching_ = false;
    if (detached_) {
      if (op_.pending) {
        CancelIoEx(reinterpret_cast<HANDLE>(socket_.get()), &op_.overlapped);
      } else {
        Finish();
      }
    }
  }

 private:
  // Room AcceptEx needs per address: the largest sockaddr plus 16.
  static constexpr DWORD kAddressSpace = sizeof(sockaddr_storage) + 16;

  static void Done(IoOperation* op, DWORD, int error) {
    static_cast<Acceptor*>(op->owner)->OnAccepted(error);
  }

  void Finish() {
    accepting_.reset();
    socket_.reset();
    if (attached_) loop_.Detach(op_.socket);
    delete this;
  }

  // The shared PeerFilter, narrowed to Hyper-V VmIds.
  absl::Status Admit(const SocketAddress& peer) const {
    absl::StatusOr<HvSocketAddress> hv = peer.hyperv();
    if (!hv.ok()) return AdmitAnonymousPeer(options_.peers, peer.ToString());
    return AdmitHyperVPeer(options_.peers, hv->vm_id, peer.ToString());
  }

  void Report(absl::StatusOr<AcceptedConnection> result) {
    if (!on_accept_) return;
    AcceptCallback callback = on_accept_;  // it may destroy the listener
    callback(std::move(result));
  }

  // Accepting cannot go on for now (`error`): report it if it starts an
  // episode, and retry after the backoff.
  void Pause(const absl::Status& error) {
    if (paused_) {
      ++failed_retries_;
    } else {
      paused_ = true;
      ++pauses_;
      backoff_ = options_.min_backoff;
      Report(absl::Status(
          error.code(),
          absl::StrCat(error.message(), "; accepting paused, retrying after ",
                       absl::FormatDuration(options_.min_backoff),
                       ", backing off to every ",
                       absl::FormatDuration(options_.max_backoff))));
      if (detached_) return;  // the report destroyed the listener
    }
    retry_at_ = loop_.Now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    loop_.WatchDeadline(this);
  }

  void StartAccept() {
    while (!detached_) {
      absl::StatusOr<UniqueSocket> accepting =
          options_.open_socket ? options_.open_socket(local_.family())
                               : OpenStreamSocket(local_.family());
      if (!accepting.ok()) {
        Pause(accepting.status());
        return;
      }
      accepting_ = std::move(*accepting);
      DWORD bytes = 0;
      op_.Start();
      if (extensions_.accept_ex(socket_.get(), accepting_.get(), addresses_, 0,
                                kAddressSpace, kAddressSpace, &bytes,
                                &op_.overlapped)) {
        return;  // completed at once; the completion still arrives
      }
      int error = WSAGetLastError();
      if (error == WSA_IO_PENDING) return;
      op_.pending = false;
      accepting_.reset();
      if (error == WSAECONNRESET) continue;  // that peer gave up; next
      Pause(WinsockStatus(error,
                          absl::StrCat("AcceptEx on ", local_.ToString())));
      return;
    }
  }

  void OnAccepted(int error) {
    if (detached_) {
      Finish();
      return;
    }
    dispatching_ = true;
    bool retry_now = true;
    if (error == WSAECONNRESET || error == ERROR_NETNAME_DELETED) {
      accepting_.reset();
    } else if (error != 0) {
      accepting_.reset();
      Pause(WinsockStatus(error,
                          absl::StrCat("AcceptEx on ", local_.ToString())));
      retry_now = false;  // after the backoff
    } else {
      paused_ = false;  // an accept worked: the episode is over
      Accepted();
    }
    if (!detached_ && retry_now) StartAccept();
    dispatching_ = false;
    if (detached_) {
      if (op_.pending) {
        CancelIoEx(reinterpret_cast<HANDLE>(socket_.get()), &op_.overlapped);
      } else {
        Finish();
      }
    }
  }

  void Accepted() {
    SOCKET listening = socket_.get();
    if (setsockopt(accepting_.get(), SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                   reinterpret_cast<const char*>(&listening),
                   sizeof(listening)) != 0) {
      absl::Status status = LastWinsockStatus("SO_UPDATE_ACCEPT_CONTEXT");
      accepting_.reset();
      Report(status);
      return;
    }
    sockaddr* local = nullptr;
    sockaddr* remote = nullptr;
    int local_length = 0;
    int remote_length = 0;
    extensions_.get_accept_ex_sockaddrs(addresses_, 0, kAddressSpace,
                                        kAddressSpace, &local, &local_length,
                                        &remote, &remote_length);
    absl::StatusOr<SocketAddress> peer =
        SocketAddress::FromSockaddr(remote, remote_length);
    if (!peer.ok()) {
      CloseWithReset(accepting_);
      Report(peer.status());
      return;
    }
    if (absl::Status admitted = Admit(*peer); !admitted.ok()) {
      ++rejected_;
      CloseWithReset(accepting_);
      if (options_.peers.on_refused) {
        options_.peers.on_refused(peer->ToString(), admitted);
      }
      return;
    }
    Report(AcceptedConnection{std::move(accepting_), *peer});
  }

  IoLoop& loop_;
  UniqueSocket socket_;
  WinsockListenerOptions options_;
  AcceptCallback on_accept_;
  WinsockExtensions extensions_;
  SocketAddress local_;
  IoOperation op_;
  UniqueSocket accepting_;
  char addresses_[2 * kAddressSpace] = {};
  uint64_t rejected_ = 0;
  bool paused_ = false;
  absl::Duration backoff_;
  std::optional<absl::Time> retry_at_;  // watched while set
  uint64_t failed_retries_ = 0;
  uint64_t pauses_ = 0;
  bool attached_ = false;
  bool detached_ = false;
  bool dispatching_ = false;
};

absl::StatusOr<std::unique_ptr<WinsockListener>> WinsockListener::Listen(
    IoLoop& loop, const SocketAddress& address, WinsockListenerOptions options,
    AcceptCallback on_accept) {
  if (!(options.min_backoff > absl::ZeroDuration() &&
        options.min_backoff <= options.max_backoff &&
        options.max_backoff < absl::InfiniteDuration())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "WinsockListener: the backoffs must be 0 < min_backoff <= "
        "max_backoff < infinity; got min_backoff ",
        absl::FormatDuration(options.min_backoff), ", max_backoff ",
        absl::FormatDuration(options.max_backoff)));
  }
  absl::StatusOr<UniqueSocket> socket = OpenStreamSocket(address.family());
  if (!socket.ok()) return socket.status();
  std::string where = address.ToString();
  if (bind(socket->get(), address.get(), address.length()) != 0) {
    return LastWinsockStatus(absl::StrCat("bind to ", where));
  }
  if (!options.peers.allowed_cids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen ", address.ToString(),
        ": a CID allowlist applies only to "
        "vsock listeners, which need Linux; use a VmId allowlist for Hyper-V"));
  }
  if (listen(socket->get(), options.backlog) != 0) {
    return LastWinsockStatus(absl::StrCat("listen on ", where));
  }
  sockaddr_storage bound = {};
  int bound_length = sizeof(bound);
  SocketAddress local = address;
  if (getsockname(socket->get(), reinterpret_cast<sockaddr*>(&bound),
                  &bound_length) == 0) {
    if (absl::StatusOr<SocketAddress> named = SocketAddress::FromSockaddr(
            reinterpret_cast<sockaddr*>(&bound), bound_length);
        named.ok()) {
      local = *named;
    }
  }
  absl::StatusOr<WinsockExtensions> extensions =
      LoadWinsockExtensions(socket->get());
  if (!extensions.ok()) return extensions.status();
  auto* acceptor = new Acceptor(loop, std::move(*socket), std::move(options),
                                std::move(on_accept), *extensions, local);
  if (absl::Status started = acceptor->Start(); !started.ok()) {
    delete acceptor;
    return started;
  }
  return std::unique_ptr<WinsockListener>(new WinsockListener(acceptor));
}

WinsockListener::~WinsockListener() { acceptor_->Detach(); }

const SocketAddress& WinsockListener::local_address() const {
  return acceptor_->local();
}

uint64_t WinsockListener::rejected_peers() const {
  return acceptor_->rejected();
}

bool WinsockListener::paused() const { return acceptor_->paused(); }

uint64_t WinsockListener::failed_retries() const {
  return acceptor_->failed_retries();
}

uint64_t WinsockListener::pauses() const { return acceptor_->pauses(); }

}  // namespace hvsock
