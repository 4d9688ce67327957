// What hvcat's one main (main.cc) needs from a platform: the small hooks
// that differ between Linux and Windows. Everything else — the command
// line, the copy (copier.h), the exit statuses — is shared, and the flow
// and the loop are the shared application interface (backends/flow_handle.h,
// backends/loop.h).
//
// Linux (platform_posix.cc): the epoll EventLoop and LoopFlow; vsock://,
// unix://, hybrid-vsock:// and hyperkit:// URIs; non-blocking standard
// streams watched on the loop. Windows (platform_windows.cc): the IocpLoop
// and WinsockFlow; hvsock:// URIs (and tcp://127.0.0.1 in builds for
// tests); one thread per standard stream, waking the loop.
//
// The main calls, in order: usage_details() or Resolve(), then Open(), then
// StartFlow(), then runs a Copier over flow, input() and output() on loop().
//
// Thread-safety: single-threaded, on the loop's thread.
#ifndef HVSOCK_TOOLS_HVCAT_PLATFORM_H_
#define HVSOCK_TOOLS_HVCAT_PLATFORM_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/flow_handle.h"
#include "backends/loop.h"
#include "core/flow_options.h"
#include "tools/hvcat/command_line.h"
#include "tools/hvcat/copier.h"

namespace hvsock::hvcat {

class Platform {
 public:
  virtual ~Platform() = default;

  // The URI forms and default protocol of this platform's usage text.
  virtual UsageDetails usage_details() const = 0;
  // Writes the usage text to standard output.
  virtual void PrintUsage(absl::string_view text) = 0;

  // Checks that this platform can use config.uri and remembers where it
  // leads. An error is a usage error (it names the URI and what this
  // platform takes).
  virtual absl::Status Resolve(const CommandLine& config) = 0;
  // The resolved address's default wire protocol.
  virtual Codec default_codec() const = 0;

  // Listens and accepts one connection (config.listen), or connects with
  // config's connect timeout and retry. An error means no connection.
  virtual absl::Status Open(const CommandLine& config) = 0;

  // Runs a flow with `options` over the opened transport on loop(), and
  // prepares the standard streams. The flow lives as long as the platform.
  virtual absl::StatusOr<FlowHandle*> StartFlow(const FlowOptions& options) = 0;

  virtual Loop& loop() = 0;
  virtual InputStream& input() = 0;
  virtual OutputStream& output() = 0;
};

// This platform's hooks (platform_posix.cc or platform_windows.cc). Also
// sets the process up for hvcat (SIGPIPE ignored; binary standard error).
std::unique_ptr<Platform> MakePlatform();

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_PLATFORM_H_
