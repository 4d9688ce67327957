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

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_paths.h"
#include "backends/posix/unique_fd.h"
#include "backends/uri.h"
#include "tools/hvstress/echo_server.h"
#include "tools/hvstress/echo_server_thread.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/random.h"
#include "tools/hvstress/report.h"
#include "tools/hvstress/stream_pattern.h"
#include "tools/hvstress/stress_run.h"
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

// --server URI: echo until interrupted.
int Serve(const Options& options) {
  absl::StatusOr<tools::PosixEndpoint> endpoint =
      tools::ParsePosixEndpoint(options.uri, "hvstress");
  if (!endpoint.ok()) {
    Complain(absl::StrCat(endpoint.status().message(), " (hvstress --help)"));
    return kExitUsage;
  }
  // A VMM delivers guest connections to host port P on its own path.
  absl::StatusOr<Address> address =
      std::holds_alternative<Address>(*endpoint)
          ? std::get<Address>(*endpoint)
          : Address(VmmListenSocket(std::get<VmmSocketAddress>(*endpoint)));
  // Before the listener exists, so that no signal finds its socket file
  // without the handling that removes it.
  absl::StatusOr<std::unique_ptr<tools::InterruptSignals>> interrupts =
      tools::InterruptSignals::Block();
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    Complain(loop.status().message());
    return kExitNoServer;
  }
  absl::StatusOr<std::unique_ptr<EchoServer>> server =
      EchoServer::Start(**loop, *address, ServerFlowOptions(options),
                        [](const ListenerReport& report) {
                          if (report.kind ==
                              ListenerReport::Kind::kAcceptPaused) {
                            Complain(report.error.message());
                          } else {
                            Complain(absl::StrCat(
                                "accepting again after ",
                                absl::FormatDuration(absl::Trunc(
                                    report.paused, absl::Milliseconds(1))),
                                " (",
                                report.failed_retries, " retries failed)"));
                          }
                        });
  if (!server.ok()) {
    Complain(server.status().message());
    return kExitNoServer;
  }
  EventLoop* raw_loop = loop->get();
  if (interrupts.ok()) {
    (*loop)->Watch((*interrupts)->fd(), Readiness::kReadable,
                   [raw_loop, signals = interrupts->get()](Readiness) {
                     if (signals->Take().has_value()) raw_loop->Stop();
                   })
        .IgnoreError();
  }
  Complain(absl::StrCat("echo server (", CodecName(options.codec),
                        ", idle timeout ",
                        absl::FormatDuration(options.idle_timeout),
                        ", close timeout ",
                        absl::FormatDuration(options.close_timeout),
                        ") listening on ",
                        FormatAddressUri((*server)->address())));
  absl::Status run = (*loop)->Run();
  const EchoServerStats& stats = (*server)->stats();
  Complain(absl::StrCat("stopped: ", stats.accepted, " flows accepted, ",
                        stats.closed, " echoed and closed, ", stats.failed,
                        " failed, ", stats.bytes_echoed, " bytes echoed"));
  for (const auto& [kind, entry] : stats.errors.entries()) {
    Complain(absl::StrCat("  ", ErrorLine(kind, entry)));
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
    absl::StatusOr<tools::PosixEndpoint> endpoint =
        tools::ParsePosixEndpoint(options.uri, "hvstress");
    if (!endpoint.ok()) {
      Complain(absl::StrCat(endpoint.status().message(), " (hvstress --help)"));
      return kExitUsage;
    }
    if (const auto* address = std::get_if<Address>(&*endpoint)) {
      target = *address;
    } else {
      vmm_target = std::get<VmmSocketAddress>(*endpoint);
    }
    facts.target = tools::FormatEndpoint(*endpoint);
  }
  absl::StatusOr<std::unique_ptr<tools::InterruptSignals>> interrupts =
      tools::InterruptSignals::Block();

  TempDir temp_dir;  // outlives the server, which removes its socket first
  std::unique_ptr<EchoServerThread> server;
  if (options.uri.empty()) {
    if (temp_dir.path().empty()) {
      Complain(absl::StrCat("mkdtemp: ", strerror(errno)));
      return kExitNoServer;
    }
    absl::StatusOr<std::unique_ptr<EchoServerThread>> started =
        EchoServerThread::Start(UnixAddress{temp_dir.path() + "/echo.sock"},
                                ServerFlowOptions(options));
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
  int result_code = kExitOk;
  {
    StressRun run = vmm_target.has_value()
                        ? StressRun(**loop, options, *vmm_target, pattern)
                        : StressRun(**loop, options, target, pattern);
    if (interrupts.ok()) {
      (*loop)->Watch((*interrupts)->fd(), Readiness::kReadable,
                     [&run, signals = interrupts->get()](Readiness) {
                       if (signals->Take().has_value()) run.Interrupt();
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
    absl::Status status = run.Run(on_progress);
    if (tty && progress_shown) WriteAll(STDERR_FILENO, "\r\033[K");
    if (!status.ok()) {
      Complain(status.message());
      result_code = kExitFailed;
    }
    StressResult result = run.result();
    if (server != nullptr) {
      if (absl::Status stopped = server->Stop(); !stopped.ok()) {
        result.errors.Add(absl::StrCat("server: ", stopped.message()));
      }
      result.errors.Merge("server: ", server->stats().errors);
    }
    std::string text = SummaryText(options, facts, result);
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
