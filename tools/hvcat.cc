// hvcat: a netcat for hypervisor sockets, and the project's end-to-end
// check.
//
//   hvcat [options] URI        connect to URI
//   hvcat -l [options] URI     listen on URI and accept one connection
//
// It copies standard input to the flow and the flow to standard output at
// the same time, with bounded memory. At standard-input EOF it closes the
// flow (flush, then the end-of-writes signal) and keeps copying the flow to
// standard output until Eof. It exits 0 only when its close has completed
// and every received byte has been written out; otherwise it prints one
// line on standard error saying what happened (after writing out the data
// received before the failure). See backends/posix/README.md.
//
// Standard streams: pipes, terminals and character devices are reopened
// through /proc/self/fd as private non-blocking descriptions (so other
// processes sharing them are not affected); sockets are used with
// MSG_DONTWAIT; regular files (and whatever epoll cannot watch, such as
// /dev/null) are always ready and use plain reads and writes.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"
#include "backends/posix/socket_address.h"
#include "backends/uri.h"
#include "core/flow.h"
#include "core/flow_error.h"

namespace hvsock {
namespace {

// Exit statuses.
constexpr int kExitOk = 0;
constexpr int kExitFlowFailed = 1;  // the flow or a standard stream failed
constexpr int kExitUsage = 2;       // bad command line
constexpr int kExitNoConnection = 3;  // could not connect / listen / accept

// Bytes moved per read of standard input or of the flow.
constexpr size_t kChunk = 64 * 1024;

constexpr char kUsage[] =
    "usage: hvcat [options] URI        connect to URI\n"
    "       hvcat -l [options] URI     listen on URI and accept one "
    "connection\n"
    "\n"
    "URIs:  vsock://CID:PORT   vsock://:PORT (listen on any CID)   "
    "unix:///absolute/path\n"
    "\n"
    "options:\n"
    "  --protocol=native|framed   wire protocol (default native)\n"
    "  --connect-timeout=SECONDS  (default 10; fractions allowed)\n"
    "  --close-timeout=SECONDS    (default 30; fractions allowed)\n"
    "  --retry                    retry while the connection is refused,\n"
    "                             until the connect timeout\n"
    "  -h, --help                 this text\n"
    "\n"
    "exit status: 0 the close completed and all received bytes were written;"
    "\n"
    "  1 the flow failed (reset, truncated, protocol error, close timed out)"
    "\n"
    "    or a standard stream did; 2 bad usage; 3 no connection "
    "(refused,\n"
    "    connect timeout, listen or accept failed)\n";

// Prints one line on standard error.
void Complain(absl::string_view message) {
  std::string line = absl::StrCat(
      "hvcat: ", absl::StrReplaceAll(message, {{"\n", " "}, {"\r", " "}}),
      "\n");
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

// ── Command line ───────────────────────────────────────────────────────

struct Config {
  bool listen = false;
  Codec codec = Codec::kNative;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration close_timeout = absl::Seconds(30);
  bool retry = false;
  Address address;
  std::string uri;
};

absl::StatusOr<absl::Duration> ParseSeconds(absl::string_view option,
                                            const std::string& text,
                                            bool allow_zero) {
  errno = 0;
  char* end = nullptr;
  double seconds = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 ||
      !std::isfinite(seconds) || seconds < 0 ||
      (!allow_zero && seconds == 0) || seconds > 1e9) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, ": \"", text, "\" is not a ",
                     allow_zero ? "non-negative" : "positive",
                     " number of seconds (e.g. 10 or 0.25)"));
  }
  return absl::Seconds(seconds);
}

// Fails with the usage problem; an empty optional means --help.
absl::StatusOr<std::optional<Config>> ParseCommandLine(int argc,
                                                       char** argv) {
  Config config;
  bool have_uri = false;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      if (have_uri) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument \"", arg, "\" (one URI only)"));
      }
      have_uri = true;
      config.uri = arg;
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") return std::nullopt;
    if (arg == "-l" || arg == "--listen") {
      config.listen = true;
      continue;
    }
    if (arg == "--retry") {
      config.retry = true;
      continue;
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name != "--protocol" && name != "--connect-timeout" &&
        name != "--close-timeout") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option \"", name, "\""));
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " needs a value"));
      }
      value = argv[++i];
    }
    if (name == "--protocol") {
      if (value == "native") {
        config.codec = Codec::kNative;
      } else if (value == "framed") {
        config.codec = Codec::kFramed;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "--protocol: \"", value, "\" is not native or framed"));
      }
    } else if (name == "--connect-timeout") {
      absl::StatusOr<absl::Duration> d = ParseSeconds(name, value, false);
      if (!d.ok()) return d.status();
      config.connect_timeout = *d;
    } else {
      absl::StatusOr<absl::Duration> d = ParseSeconds(name, value, true);
      if (!d.ok()) return d.status();
      config.close_timeout = *d;
    }
  }
  if (!have_uri) return absl::InvalidArgumentError("missing URI");
  absl::StatusOr<Address> address = ParseAddressUri(config.uri);
  if (!address.ok()) return address.status();
  config.address = *std::move(address);
  return config;
}

// ── Standard streams ───────────────────────────────────────────────────

// Standard input or output, prepared for use without blocking the loop.
class StdStream {
 public:
  StdStream(int fd, bool output) : fd_(fd), output_(output) {}
  ~StdStream() {
    if (restore_flags_) ::fcntl(fd_, F_SETFL, original_flags_);
  }
  StdStream(const StdStream&) = delete;
  StdStream& operator=(const StdStream&) = delete;

  // Chooses how to use the stream. Fails only for a closed standard output.
  absl::Status Prepare() {
    struct stat info;
    if (::fstat(fd_, &info) != 0) {
      if (output_) {
        return absl::FailedPreconditionError("standard output is closed");
      }
      closed_input_ = true;  // read as empty
      return absl::OkStatus();
    }
    if (S_ISREG(info.st_mode) || S_ISBLK(info.st_mode) ||
        S_ISDIR(info.st_mode)) {
      return absl::OkStatus();  // always ready; plain blocking IO
    }
    if (S_ISSOCK(info.st_mode)) {
      socket_ = true;  // MSG_DONTWAIT per call; the description is shared
      return absl::OkStatus();
    }
    // A pipe, FIFO, terminal or other character device: open a private
    // description of the same object, so O_NONBLOCK affects no one else.
    std::string proc = absl::StrCat("/proc/self/fd/", fd_);
    int reopened = ::open(proc.c_str(),
                          (output_ ? O_WRONLY : O_RDONLY) | O_NONBLOCK |
                              O_CLOEXEC | O_NOCTTY);
    if (reopened >= 0) {
      owned_.reset(reopened);
      fd_ = reopened;
      return absl::OkStatus();
    }
    // No /proc: make the shared description non-blocking, and put it back
    // on the way out.
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0 &&
        ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) == 0) {
      restore_flags_ = true;
      original_flags_ = flags;
    }
    return absl::OkStatus();
  }

  int fd() const { return fd_; }
  bool closed_input() const { return closed_input_; }

  ssize_t Read(char* buffer, size_t size) {
    if (closed_input_) return 0;
    return socket_ ? ::recv(fd_, buffer, size, MSG_DONTWAIT)
                   : ::read(fd_, buffer, size);
  }
  ssize_t Write(const char* data, size_t size) {
    return socket_ ? ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL)
                   : ::write(fd_, data, size);
  }

 private:
  int fd_;
  bool output_;
  UniqueFd owned_;
  bool socket_ = false;
  bool closed_input_ = false;
  bool restore_flags_ = false;
  int original_flags_ = 0;
};

// ── The copy loop ──────────────────────────────────────────────────────

class Session {
 public:
  Session(EventLoop& loop, StdStream& in, StdStream& out)
      : loop_(loop), in_(in), out_(out) {}

  // Watches the standard streams (those epoll accepts; the others are
  // always ready).
  absl::Status Start(LoopFlow* flow) {
    flow_ = flow;
    if (!in_.closed_input()) {
      absl::StatusOr<FdWatch*> watch =
          loop_.Watch(in_.fd(), Readiness::kNone,
                      [this](Readiness) { in_ready_ = true; });
      if (watch.ok()) in_watch_ = *watch;
    }
    absl::StatusOr<FdWatch*> watch =
        loop_.Watch(out_.fd(), Readiness::kNone,
                    [this](Readiness) { out_ready_ = true; });
    if (watch.ok()) out_watch_ = *watch;
    return absl::OkStatus();
  }

  // Runs until the outcome is known; returns the exit status.
  int Run() {
    while (true) {
      bool progress = Pump();
      if (std::optional<int> status = Outcome(); status.has_value()) {
        return *status;
      }
      absl::Status run = loop_.RunOnce(progress ? absl::ZeroDuration()
                                                : absl::InfiniteDuration());
      if (!run.ok()) {
        Complain(run.message());
        return kExitFlowFailed;
      }
    }
  }

 private:
  // Moves what can be moved without waiting. Returns whether anything was.
  bool Pump() {
    bool progress = false;
    // Standard input → flow. At most one chunk waits for the flow's send
    // queue, so memory stays bounded.
    for (int round = 0; round < 4 && !input_done_ && fatal_.ok(); ++round) {
      if (!pending_.empty()) {
        absl::Status status = flow_->Write(pending_);
        if (IsFlowError(status, FlowErrorKind::kWouldBlock)) break;
        if (!status.ok()) {
          // The flow refuses writes: it failed (reported from the read
          // side) or the peer stopped reading.
          if (!flow_->flow().IsFinished()) unsent_ = status;
          pending_.Clear();
          EndInput();
          progress = true;
          break;
        }
        pending_.Clear();
        progress = true;
      }
      if (!in_ready_) break;
      std::string buffer(kChunk, '\0');
      ssize_t n = in_.Read(buffer.data(), buffer.size());
      if (n > 0) {
        buffer.resize(static_cast<size_t>(n));
        pending_ = absl::Cord(std::move(buffer));
        progress = true;
      } else if (n == 0) {
        EndInput();
        flow_->Close().IgnoreError();  // a failure shows on the read side
        progress = true;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        in_ready_ = in_watch_ == nullptr;  // always-ready streams stay so
        break;
      } else if (errno != EINTR) {
        fatal_ = absl::ErrnoToStatus(errno, "reading standard input");
      }
    }
    // Flow → standard output, one chunk in hand at a time.
    for (int round = 0; round < 8 && fatal_.ok(); ++round) {
      if (out_buffer_.empty() && !read_ended_) {
        absl::StatusOr<ReadResult> result = flow_->Read(kChunk);
        if (!result.ok()) {
          read_error_ = result.status();
          read_ended_ = true;
        } else if (result->is_eof()) {
          read_ended_ = true;
        } else if (result->is_data()) {
          out_buffer_ = std::move(*result).data();
          progress = true;
        }
      }
      if (out_buffer_.empty() || !out_ready_) break;
      absl::string_view chunk = *out_buffer_.chunk_begin();
      ssize_t n = out_.Write(chunk.data(), chunk.size());
      if (n > 0) {
        out_buffer_.RemovePrefix(static_cast<size_t>(n));
        progress = true;
        if (static_cast<size_t>(n) < chunk.size() && out_watch_ != nullptr) {
          out_ready_ = false;
        }
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        out_ready_ = out_watch_ == nullptr;
        break;
      } else if (n < 0 && errno != EINTR) {
        fatal_ = absl::ErrnoToStatus(errno, "writing standard output");
      }
    }
    SetInterest(in_watch_, !input_done_ && pending_.empty() && !in_ready_,
                Readiness::kReadable);
    SetInterest(out_watch_, !out_buffer_.empty() && !out_ready_,
                Readiness::kWritable);
    return progress;
  }

  void EndInput() {
    input_done_ = true;
    if (in_watch_ != nullptr) {
      in_watch_->Release();
      in_watch_ = nullptr;
    }
  }

  void SetInterest(FdWatch* watch, bool wanted, Readiness readiness) {
    if (watch == nullptr) return;
    absl::Status status =
        watch->SetInterest(wanted ? readiness : Readiness::kNone);
    if (!status.ok() && fatal_.ok()) fatal_ = status;
  }

  // The exit status once known.
  std::optional<int> Outcome() {
    if (!fatal_.ok()) {
      flow_->Abort();
      Complain(fatal_.message());
      return kExitFlowFailed;
    }
    if (!out_buffer_.empty() || !read_ended_) return std::nullopt;
    // Everything received has been written out.
    absl::Status error = read_error_;
    if (error.ok() && flow_->flow().state() == FlowState::kFailed) {
      error = flow_->flow().error();  // failed after the peer's Eof
    }
    if (!error.ok()) {
      std::optional<FlowErrorKind> kind = GetFlowErrorKind(error);
      Complain(kind.has_value()
                   ? absl::StrCat(FlowErrorKindName(*kind), ": ",
                                  error.message())
                   : std::string(error.message()));
      return kExitFlowFailed;
    }
    if (flow_->flow().state() != FlowState::kClosed) return std::nullopt;
    if (!unsent_.ok()) {
      Complain(absl::StrCat("standard input was not all sent: ",
                            unsent_.message()));
      return kExitFlowFailed;
    }
    return kExitOk;
  }

  EventLoop& loop_;
  StdStream& in_;
  StdStream& out_;
  LoopFlow* flow_ = nullptr;
  FdWatch* in_watch_ = nullptr;   // null: always ready (or done)
  FdWatch* out_watch_ = nullptr;
  bool in_ready_ = true;          // try reading until EAGAIN says otherwise
  bool out_ready_ = true;
  bool input_done_ = false;
  absl::Cord pending_;            // read from stdin, not yet taken by the flow
  absl::Cord out_buffer_;         // read from the flow, not yet written out
  bool read_ended_ = false;       // the flow's Read gave Eof or an error
  absl::Status read_error_;
  absl::Status unsent_;           // why stdin could not all be sent
  absl::Status fatal_;            // a standard stream failed
};

// ── Connection setup ───────────────────────────────────────────────────

absl::StatusOr<UniqueFd> AcceptOne(const Config& config) {
  ListenOptions options;
  options.backlog = 1;
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(config.address, std::move(options));
  if (!listener.ok()) return listener.status();
  if (const auto* vsock = std::get_if<VsockAddress>(&config.address);
      vsock != nullptr && vsock->port == VsockAddress::kPortAny) {
    Complain(absl::StrCat("listening on ",
                          FormatAddressUri((*listener)->local_address())));
  }
  while (true) {
    pollfd pfd{(*listener)->fd(), POLLIN, 0};
    if (::poll(&pfd, 1, -1) < 0 && errno != EINTR) {
      return absl::ErrnoToStatus(errno, "poll");
    }
    absl::StatusOr<std::optional<AcceptedConnection>> accepted =
        (*listener)->Accept();
    if (!accepted.ok()) return accepted.status();
    if (accepted->has_value()) return std::move((*accepted)->fd);
  }
}

int Main(int argc, char** argv) {
  absl::StatusOr<std::optional<Config>> parsed = ParseCommandLine(argc, argv);
  if (!parsed.ok()) {
    Complain(absl::StrCat(parsed.status().message(), " (hvcat --help)"));
    return kExitUsage;
  }
  if (!parsed->has_value()) {
    ssize_t ignored = ::write(STDOUT_FILENO, kUsage, sizeof(kUsage) - 1);
    (void)ignored;
    return kExitOk;
  }
  const Config& config = **parsed;
  ::signal(SIGPIPE, SIG_IGN);  // EPIPE instead, reported as an error

  FlowOptions flow_options;
  flow_options.codec = config.codec;
  flow_options.close_timeout = config.close_timeout;

  absl::StatusOr<UniqueFd> fd;
  if (config.listen) {
    fd = AcceptOne(config);
  } else {
    ConnectOptions connect;
    connect.timeout = config.connect_timeout;
    connect.retry_refused = config.retry;
    fd = Connect(config.address, connect);
  }
  if (!fd.ok()) {
    Complain(fd.status().message());
    return kExitNoConnection;
  }

  StdStream in(STDIN_FILENO, /*output=*/false);
  StdStream out(STDOUT_FILENO, /*output=*/true);
  for (StdStream* stream : {&in, &out}) {
    if (absl::Status status = stream->Prepare(); !status.ok()) {
      Complain(status.message());
      return kExitFlowFailed;
    }
  }
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    Complain(loop.status().message());
    return kExitFlowFailed;
  }
  absl::StatusOr<LoopFlow*> flow = (*loop)->AddFlow(
      *std::move(fd), flow_options, [](LoopFlow&, FlowEvent) {});
  if (!flow.ok()) {
    Complain(flow.status().message());
    return kExitFlowFailed;
  }
  Session session(**loop, in, out);
  if (absl::Status status = session.Start(*flow); !status.ok()) {
    Complain(status.message());
    return kExitFlowFailed;
  }
  return session.Run();
}

}  // namespace
}  // namespace hvsock

int main(int argc, char** argv) { return hvsock::Main(argc, argv); }
