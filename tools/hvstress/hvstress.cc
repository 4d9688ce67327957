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
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_paths.h"
#include "backends/posix/posix_address.h"
#include "backends/posix/unique_fd.h"
#include "backends/uri.h"
#include "tools/hvstress/client_run.h"
#include "tools/hvstress/echo_server.h"
#include "tools/hvstress/echo_server_group.h"
#include "tools/hvstress/echo_server_thread.h"
#include "tools/hvstress/mux_echo_server.h"
#include "tools/hvstress/mux_stress_run.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/random.h"
#include "tools/hvstress/report.h"
#include "tools/hvstress/stream_pattern.h"
#include "tools/hvstress/stress_run.h"
#include "tools/hvstress/threaded_stress.h"
#include "tools/interrupt_signals.h"
#include "tools/posix_endpoint.h"

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

// The echo server's flows. Its idle timeout drops clients that move no
// byte for that long: --idle-timeout with --server, else the server default.
FlowOptions ServerFlowOptions(const Options& options) {
  FlowOptions flow_options;
  flow_options.codec = options.codec;
  flow_options.close_timeout = options.close_timeout;
  flow_options.idle_timeout = options.mode == Options::Mode::kServer
                                  ? options.idle_timeout
                                  : kServerIdleTimeout;
  return flow_options;
}

void ComplainServerStats(const EchoServerStats& stats) {
  Complain(absl::StrCat("stopped: ", stats.accepted, " flows accepted, ",
                        stats.closed, " echoed and closed, ", stats.failed,
                        " failed, ", stats.bytes_echoed, " bytes echoed"));
  for (const auto& [kind, entry] : stats.errors.entries()) {
    Complain(absl::StrCat("  ", ErrorLine(kind, entry)));
  }
}

// The in-process echo server, and --server with --threads=N or --mux: N
// loops on their own threads. With --mux every connection is multiplexed
// (vpnkit format) and each of its channels echoed.
absl::StatusOr<std::unique_ptr<EchoServerGroup>> StartServerGroup(
    const Address& address, const Options& options) {
  if (options.mux > 0) {
    return EchoServerGroup::StartMultiplexed(
        address, MuxEchoServer::ServerOptions(), options.threads);
  }
  return EchoServerGroup::Start(address, ServerFlowOptions(options),
                                options.threads);
}

// --server URI with --threads=N (N > 1) or --mux: echo on N loops until
// interrupted.
int ServeThreaded(const Options& options, const Address& address) {
  absl::StatusOr<std::unique_ptr<tools::InterruptSignals>> interrupts =
      tools::InterruptSignals::Block();
  absl::StatusOr<std::unique_ptr<EchoServerGroup>> server =
      StartServerGroup(address, options);
  if (!server.ok()) {
    Complain(server.status().message());
    return kExitNoServer;
  }
  Complain(absl::StrCat(
      options.mux > 0
          ? "multiplexed echo server (vpnkit format)"
          : absl::StrCat("echo server (", CodecName(options.codec), ")"),
      " listening on ", FormatAddressUri((*server)->address()), " with ",
      options.threads, options.threads == 1 ? " thread" : " threads"));
  // The loops run on their own threads; this one waits for the signal.
  absl::StatusOr<std::unique_ptr<EventLoop>> waiter = EventLoop::Create();
  if (waiter.ok() && interrupts.ok()) {
    EventLoop* raw = waiter->get();
    if ((*waiter)
            ->Watch((*interrupts)->fd(), Readiness::kReadable,
                    [raw, signals = interrupts->get()](Readiness) {
                      if (signals->Take().has_value()) raw->Stop();
                    })
            .ok()) {
      (*waiter)->Run().IgnoreError();
    }
  }
  absl::Status run = (*server)->Stop();
  ComplainServerStats((*server)->stats());
  if (options.mux > 0) {
    Complain(absl::StrCat(
        "multiplexed connections per thread: ",
        absl::StrJoin((*server)->connections_per_thread(), ", "),
        " (channels: ", absl::StrJoin((*server)->accepted_per_thread(), ", "),
        ")"));
  } else {
    Complain(
        absl::StrCat("flows accepted per thread: ",
                     absl::StrJoin((*server)->accepted_per_thread(), ", ")));
  }
  if (!run.ok()) {
    Complain(run.message());
    return kExitFailed;
  }
  return kExitOk;
}

// Says `banner`, runs `loop` until a signal arrives on `interrupts` (if
// any), then reports what `server` did.
template <typename Server>
int RunUntilInterrupted(EventLoop& loop, tools::InterruptSignals* interrupts,
                        const Server& server, absl::string_view banner) {
  if (interrupts != nullptr) {
    loop.Watch(interrupts->fd(), Readiness::kReadable,
               [&loop, interrupts](Readiness) {
                 if (interrupts->Take().has_value()) loop.Stop();
               })
        .IgnoreError();
  }
  Complain(banner);
  absl::Status run = loop.Run();
  ComplainServerStats(server.stats());
  if (!run.ok()) {
    Complain(run.message());
    return kExitFailed;
  }
  return kExitOk;
}

// --server URI: echo until interrupted.
int Serve(const Options& options) {
  absl::StatusOr<Address> address = tools::ParsePosixEndpoint(options.uri);
  if (!address.ok()) {
    Complain(absl::StrCat(address.status().message(), " (hvstress --help)"));
    return kExitUsage;
  }
  // A VMM delivers guest connections to host port P on its own path.
  if (std::optional<VmmSocketAddress> vmm = AsVmmSocketAddress(*address)) {
    *address = VmmListenSocket(*vmm);
  }
  if (options.threads > 1 || options.mux > 0) {
    return ServeThreaded(options, *address);
  }
  // Before the listener exists, so that no signal finds its socket file
  // without the handling that removes it.
  absl::StatusOr<std::unique_ptr<tools::InterruptSignals>> interrupts =
      tools::InterruptSignals::Block();
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    Complain(loop.status().message());
    return kExitNoServer;
  }
  absl::StatusOr<std::unique_ptr<EchoServer>> server = EchoServer::Start(
      **loop, *address, ServerFlowOptions(options),
      [](const ListenerReport& report) {
        if (report.kind == ListenerReport::Kind::kAcceptPaused) {
          Complain(report.error.message());
        } else {
          Complain(absl::StrCat("accepting again after ",
                                absl::FormatDuration(absl::Trunc(
                                    report.paused, absl::Milliseconds(1))),
                                " (", report.failed_retries,
                                " retries failed)"));
        }
      });
  if (!server.ok()) {
    Complain(server.status().message());
    return kExitNoServer;
  }
  return RunUntilInterrupted(
      **loop, interrupts.ok() ? interrupts->get() : nullptr, **server,
      absl::StrCat("echo server (", CodecName(options.codec), ", idle timeout ",
                   absl::FormatDuration(options.idle_timeout),
                   ", close timeout ",
                   absl::FormatDuration(options.close_timeout),
                   ") listening on ", FormatAddressUri((*server)->address())));
}

// A temporary directory, removed (with the socket file's remains) on
// destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = absl::StrCat(
        base != nullptr && *base != '\0' ? base : "/tmp", "/hvstress-XXXXXX");
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

// The in-process echo server: one loop on its own thread, or with
// --threads=N or --mux an EchoServerGroup of N.
class InProcessServer {
 public:
  absl::Status Start(const Address& address, const Options& options) {
    if (options.threads > 1 || options.mux > 0) {
      absl::StatusOr<std::unique_ptr<EchoServerGroup>> started =
          StartServerGroup(address, options);
      if (!started.ok()) return started.status();
      group_ = *std::move(started);
      return absl::OkStatus();
    }
    absl::StatusOr<std::unique_ptr<EchoServerThread>> started =
        EchoServerThread::Start(address, ServerFlowOptions(options));
    if (!started.ok()) return started.status();
    thread_ = *std::move(started);
    return absl::OkStatus();
  }
  const Address& address() const {
    return group_ != nullptr ? group_->address() : thread_->address();
  }
  // Stops it (if started) and adds its errors to `result`, marked as the
  // server's.
  absl::Status StopInto(StressResult& result) {
    if (group_ == nullptr && thread_ == nullptr) return absl::OkStatus();
    absl::Status stopped = group_ != nullptr ? group_->Stop() : thread_->Stop();
    const EchoServerStats& stats =
        group_ != nullptr ? group_->stats() : thread_->stats();
    result.errors.Merge("server: ", stats.errors);
    return stopped;
  }

 private:
  std::unique_ptr<EchoServerThread> thread_;
  std::unique_ptr<EchoServerGroup> group_;
};

using ProgressCallback = std::function<void(const StressResult&)>;

// The client on this thread's loop (--threads=1).
absl::StatusOr<StressResult> RunOnThisThread(
    const Options& options, const ThreadedStress::RunFactory& make_run,
    tools::InterruptSignals* interrupts, const ProgressCallback& progress) {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return loop.status();
  std::unique_ptr<ClientRun> run = make_run(**loop, options, nullptr);
  if (interrupts != nullptr) {
    (*loop)
        ->Watch(interrupts->fd(), Readiness::kReadable,
                [&run, interrupts](Readiness) {
                  if (interrupts->Take().has_value()) run->Interrupt();
                })
        .IgnoreError();
  }
  if (absl::Status status = run->Run(progress, absl::Seconds(1));
      !status.ok()) {
    return status;
  }
  return run->result();
}

// The client on --threads loops, each on its own thread.
absl::StatusOr<StressResult> RunThreaded(
    const Options& options, const ThreadedStress::RunFactory& make_run,
    tools::InterruptSignals* interrupts, const ProgressCallback& progress) {
  ThreadedStress run(options, make_run);
  if (absl::Status status = run.Run(interrupts, progress); !status.ok()) {
    return status;
  }
  return std::move(run.result());
}

// --mux: the line the summary adds (all threads' runs added up).
std::string MultiplexedLine(const StressResult& result) {
  const uint64_t up = std::max<uint64_t>(1, result.multiplexed_connections);
  return absl::StrFormat(
      "multiplexed: %d channels over %d connection(s) (%.1f per connection), "
      "%.1f MB/s verified\n",
      result.started, result.multiplexed_connections,
      static_cast<double>(result.started) / static_cast<double>(up),
      static_cast<double>(result.bytes_verified) / 1e6 /
          std::max(1e-9, absl::ToDoubleSeconds(result.elapsed)));
}

// Prints the summary (`text`, or JSON with --json) and returns the exit
// status: kExitOk if every connection verified, else kExitFailed.
int Report(const Options& options, const RunFacts& facts,
           const StressResult& result, const std::string& text) {
  if (options.json) {
    WriteAll(STDOUT_FILENO, SummaryJson(options, facts, result));
    if (options.progress) WriteAll(STDERR_FILENO, text);
  } else {
    WriteAll(STDOUT_FILENO, text);
  }
  if (result.failed > 0 || result.ok == 0 || !result.errors.empty()) {
    return kExitFailed;
  }
  return kExitOk;
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
  std::optional<VmmSocketAddress> vmm_target;
  if (!options.uri.empty()) {
    absl::StatusOr<Address> endpoint = tools::ParsePosixEndpoint(options.uri);
    if (!endpoint.ok()) {
      Complain(absl::StrCat(endpoint.status().message(), " (hvstress --help)"));
      return kExitUsage;
    }
    target = *endpoint;
    vmm_target = AsVmmSocketAddress(*endpoint);
    facts.target = FormatAddressUri(*endpoint);
  }
  absl::StatusOr<std::unique_ptr<tools::InterruptSignals>> interrupts =
      tools::InterruptSignals::Block();

  TempDir temp_dir;  // outlives the server, which removes its socket first
  InProcessServer server;
  if (options.uri.empty()) {
    if (temp_dir.path().empty()) {
      Complain(absl::StrCat("mkdtemp: ", strerror(errno)));
      return kExitNoServer;
    }
    if (absl::Status started =
            server.Start(UnixAddress{temp_dir.path() + "/echo.sock"}, options);
        !started.ok()) {
      Complain(absl::StrCat("echo server: ", started.message()));
      return kExitNoServer;
    }
    target = server.address();
    facts.target =
        absl::StrCat(options.mux > 0 ? "in-process multiplexed echo server at "
                                     : "in-process echo server at ",
                     FormatAddressUri(target));
  }

  StreamPattern pattern(*options.seed);
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
  tools::InterruptSignals* signals =
      interrupts.ok() ? interrupts->get() : nullptr;
  // One run per thread: channels of its share of --mux's connections, or
  // a connection per stream (through the VMM's handshake for its socket).
  ThreadedStress::RunFactory make_run =
      [&](EventLoop& loop, const Options& share,
          std::atomic<uint64_t>* numbers) -> std::unique_ptr<ClientRun> {
    if (share.mux > 0) {
      return std::make_unique<MuxStressRun>(loop, share, target, pattern,
                                            share.mux, numbers);
    }
    if (vmm_target.has_value()) {
      return std::make_unique<StressRun>(loop, share, *vmm_target, pattern,
                                         numbers);
    }
    return std::make_unique<StressRun>(loop, share, target, pattern, numbers);
  };
  absl::StatusOr<StressResult> ran =
      options.threads > 1
          ? RunThreaded(options, make_run, signals, on_progress)
          : RunOnThisThread(options, make_run, signals, on_progress);
  if (tty && progress_shown) WriteAll(STDERR_FILENO, "\r\033[K");
  if (!ran.ok()) {
    Complain(ran.status().message());
    return kExitFailed;
  }
  StressResult& result = *ran;
  if (absl::Status stopped = server.StopInto(result); !stopped.ok()) {
    result.errors.Add(absl::StrCat("server: ", stopped.message()));
  }
  std::string text = SummaryText(options, facts, result);
  if (options.mux > 0) text += MultiplexedLine(result);
  return Report(options, facts, result, text);
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
