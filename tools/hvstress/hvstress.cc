// hvstress: many verified echo flows at once, with progress and a summary.
//
//   hvstress [options]               stress an in-process echo server
//   hvstress --uri URI [options]     stress the echo server at URI
//   hvstress --server URI [options]  run only an echo server at URI
//
// See options.h for the options, stress_run.h for what each connection
// checks, and README.md. Exit status: 0 every connection verified; 1 some
// failed (the summary names each error and its count); 2 bad usage; 3 the
// echo server could not start.
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"
#include "backends/uri.h"
#include "tools/hvstress/echo_server.h"
#include "tools/hvstress/echo_server_thread.h"
#include "tools/hvstress/mux_echo_server.h"
#include "tools/hvstress/mux_stress_run.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/random.h"
#include "tools/hvstress/report.h"
#include "tools/hvstress/stream_pattern.h"
#include "tools/hvstress/stress_run.h"

namespace hvsock::hvstress {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoServer = 3;

void WriteAll(int fd, absl::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// One line on standard error.
void Complain(absl::string_view message) {
  WriteAll(STDERR_FILENO,
           absl::StrCat("hvstress: ",
                        absl::StrReplaceAll(message, {{"\n", " "}}), "\n"));
}

// SIGINT and SIGTERM as a readable descriptor, so the loop handles them.
// Blocks them first; call before starting threads so all inherit that.
UniqueFd InterruptSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return UniqueFd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
}

FlowOptions FlowOptionsFor(const Options& options) {
  FlowOptions flow_options;
  flow_options.codec = options.codec;
  flow_options.close_timeout = options.close_timeout;
  return flow_options;
}

// --server URI: echo until interrupted. `start(loop, address)` starts the
// server (EchoServer, or MuxEchoServer with --mux).
template <typename StartServer>
int ServeUsing(const Options& options, StartServer start) {
  absl::StatusOr<Address> address = ParseAddressUri(options.uri);
  if (!address.ok()) {
    Complain(absl::StrCat(address.status().message(), " (hvstress --help)"));
    return kExitUsage;
  }
  UniqueFd interrupts = InterruptSignals();
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    Complain(loop.status().message());
    return kExitNoServer;
  }
  auto server = start(**loop, *address);
  if (!server.ok()) {
    Complain(server.status().message());
    return kExitNoServer;
  }
  EventLoop* raw_loop = loop->get();
  if (interrupts.valid()) {
    (*loop)->Watch(interrupts.get(), Readiness::kReadable,
                   [raw_loop](Readiness) { raw_loop->Stop(); })
        .IgnoreError();
  }
  Complain(absl::StrCat("echo server (", CodecName(options.codec),
                        ") listening on ",
                        FormatAddressUri((*server)->address())));
  absl::Status run = (*loop)->Run();
  const EchoServerStats& stats = (*server)->stats();
  Complain(absl::StrCat("stopped: ", stats.accepted, " flows accepted, ",
                        stats.closed, " echoed and closed, ", stats.failed,
                        " failed, ", stats.bytes_echoed, " bytes echoed"));
  for (const auto& [error, entry] : stats.errors.entries()) {
    Complain(absl::StrCat("  ", entry.count, " × ", error));
  }
  if (!run.ok()) {
    Complain(run.message());
    return kExitFailed;
  }
  return kExitOk;
}

// A temporary directory, removed (with the socket file's remains) on
// destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                     "/hvstress-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (!path_.empty()) {
      ::unlink(absl::StrCat(path_, "/echo.sock").c_str());
      ::rmdir(path_.c_str());
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int Serve(const Options& options) {
  if (options.mux > 0) {
    return ServeUsing(options, [](EventLoop& loop, const Address& address) {
      return MuxEchoServer::Start(loop, address,
                                  MuxEchoServer::ServerOptions());
    });
  }
  return ServeUsing(options, [&](EventLoop& loop, const Address& address) {
    return EchoServer::Start(loop, address, FlowOptionsFor(options));
  });
}

int Stress(Options options) {
  if (!options.seed.has_value()) {
    options.seed = Mix(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
                       static_cast<uint64_t>(::getpid())) %
                   1000000000;  // short enough to type
  }
  RunFacts facts;
  facts.seed = *options.seed;
  Address target;
  if (!options.uri.empty()) {
    absl::StatusOr<Address> address = ParseAddressUri(options.uri);
    if (!address.ok()) {
      Complain(absl::StrCat(address.status().message(), " (hvstress --help)"));
      return kExitUsage;
    }
    target = *address;
    facts.target = FormatAddressUri(target);
  }
  UniqueFd interrupts = InterruptSignals();

  TempDir temp_dir;  // outlives the server, which removes its socket first
  std::unique_ptr<EchoServerThread> server;
  if (options.uri.empty() && options.mux == 0) {
    if (temp_dir.path().empty()) {
      Complain(absl::StrCat("mkdtemp: ", strerror(errno)));
      return kExitNoServer;
    }
    absl::StatusOr<std::unique_ptr<EchoServerThread>> started =
        EchoServerThread::Start(UnixAddress{temp_dir.path() + "/echo.sock"},
                                FlowOptionsFor(options));
    if (!started.ok()) {
      Complain(absl::StrCat("echo server: ", started.status().message()));
      return kExitNoServer;
    }
    server = *std::move(started);
    target = server->address();
    facts.target = absl::StrCat("in-process echo server at ",
                                FormatAddressUri(target));
  }

  StreamPattern pattern(*options.seed);
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    Complain(loop.status().message());
    return kExitFailed;
  }
  std::unique_ptr<MuxEchoServer> mux_server;  // --mux: on the same loop
  if (options.uri.empty() && options.mux > 0) {
    absl::StatusOr<std::unique_ptr<MuxEchoServer>> started =
        MuxEchoServer::Start(**loop, UnixAddress{temp_dir.path() + "/echo.sock"},
                             MuxEchoServer::ServerOptions());
    if (temp_dir.path().empty() || !started.ok()) {
      Complain(absl::StrCat("echo server: ", started.status().message()));
      return kExitNoServer;
    }
    mux_server = *std::move(started);
    target = mux_server->address();
    facts.target = absl::StrCat("in-process multiplexed echo server at ",
                                FormatAddressUri(target));
  }
  int result_code = kExitOk;
  {
    StressRun run(**loop, options, target, pattern);
    MuxStressRun mux_run(**loop, options, target, pattern, options.mux);
    if (interrupts.valid()) {
      (*loop)->Watch(interrupts.get(), Readiness::kReadable,
                     [&](Readiness) {
                       options.mux > 0 ? mux_run.Interrupt() : run.Interrupt();
                     })
          .IgnoreError();
    }
    bool tty = ::isatty(STDERR_FILENO) == 1;
    bool progress_shown = false;
    uint64_t last_bytes = 0;
    absl::Duration last_elapsed;
    auto on_progress = [&](const StressResult& now) {
      if (!options.progress) return;
      double seconds = absl::ToDoubleSeconds(now.elapsed - last_elapsed);
      double rate =
          seconds > 0
              ? static_cast<double>(now.bytes_verified - last_bytes) / seconds
              : 0;
      last_bytes = now.bytes_verified;
      last_elapsed = now.elapsed;
      std::string line = ProgressLine(options, now, rate);
      WriteAll(STDERR_FILENO,
               tty ? absl::StrCat("\r", line, "\033[K") : line + "\n");
      progress_shown = true;
    };
    absl::Status status = options.mux > 0 ? mux_run.Run(on_progress)
                                          : run.Run(on_progress);
    if (tty && progress_shown) WriteAll(STDERR_FILENO, "\r\033[K");
    if (!status.ok()) {
      Complain(status.message());
      result_code = kExitFailed;
    }
    StressResult result = options.mux > 0 ? mux_run.result() : run.result();
    if (server != nullptr) {
      if (absl::Status stopped = server->Stop(); !stopped.ok()) {
        result.errors.Add(absl::StrCat("server: ", stopped.message()));
      }
      for (const auto& [error, entry] : server->stats().errors.entries()) {
        result.errors.Add(absl::StrCat("server: ", error), entry.example,
                          entry.count);
      }
    }
    if (mux_server != nullptr) {
      for (const auto& [error, entry] : mux_server->stats().errors.entries()) {
        result.errors.Add(absl::StrCat("server: ", error), entry.example,
                          entry.count);
      }
    }
    std::string text = SummaryText(options, facts, result);
    if (options.mux > 0) {
      const uint64_t up = std::max<uint64_t>(1, mux_run.transports_connected());
      text += absl::StrFormat(
          "multiplexed: %d channels over %d connection(s) (%.1f per "
          "connection), %.1f MB/s verified\n",
          result.started, mux_run.transports_connected(),
          static_cast<double>(result.started) / static_cast<double>(up),
          static_cast<double>(result.bytes_verified) / 1e6 /
              std::max(1e-9, absl::ToDoubleSeconds(result.elapsed)));
    }
    if (options.json) {
      WriteAll(STDOUT_FILENO, SummaryJson(options, facts, result));
      if (options.progress) WriteAll(STDERR_FILENO, text);
    } else {
      WriteAll(STDOUT_FILENO, text);
    }
    if (result.failed > 0 || result.ok == 0 || !result.errors.empty()) {
      result_code = kExitFailed;
    }
  }
  return result_code;
}

int Main(int argc, char** argv) {
  absl::StatusOr<Options> options = ParseCommandLine(argc, argv);
  if (!options.ok()) {
    Complain(absl::StrCat(options.status().message(), " (hvstress --help)"));
    return kExitUsage;
  }
  if (options->help) {
    WriteAll(STDOUT_FILENO, kUsage);
    return kExitOk;
  }
  ::signal(SIGPIPE, SIG_IGN);
  if (options->mode == Options::Mode::kServer) return Serve(*options);
  return Stress(*std::move(options));
}

}  // namespace
}  // namespace hvsock::hvstress

int main(int argc, char** argv) { return hvsock::hvstress::Main(argc, argv); }
