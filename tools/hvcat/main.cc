// hvcat: netcat for hypervisor sockets, one main for every platform. See
// tools/hvcat/README.md. The platform's hooks are platform.h; the copy is
// copier.h.
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backends/flow_handle.h"
#include "core/flow_options.h"
#include "tools/hvcat/command_line.h"
#include "tools/hvcat/copier.h"
#include "tools/hvcat/exit.h"
#include "tools/hvcat/platform.h"

namespace hvsock::hvcat {
namespace {

int Main(int argc, char** argv) {
  std::unique_ptr<Platform> platform = MakePlatform();
  absl::StatusOr<std::optional<CommandLine>> parsed =
      ParseCommandLine(argc, argv);
  absl::Status resolved = parsed.ok() && parsed->has_value()
                              ? platform->Resolve(**parsed)
                              : absl::OkStatus();
  if (!parsed.ok() || !resolved.ok()) {
    const absl::Status& problem = parsed.ok() ? resolved : parsed.status();
    Complain(absl::StrCat(problem.message(), " (hvcat --help)"));
    return kExitUsage;
  }
  if (!parsed->has_value()) {
    platform->PrintUsage(Usage(platform->usage_details()));
    return kExitOk;
  }
  const CommandLine& config = **parsed;

  if (absl::Status opened = platform->Open(config); !opened.ok()) {
    Complain(opened.message());
    return kExitNoConnection;
  }
  FlowOptions flow_options;
  flow_options.codec = config.codec.value_or(platform->default_codec());
  flow_options.close_timeout = config.close_timeout;
  absl::StatusOr<FlowHandle*> flow = platform->StartFlow(flow_options);
  if (!flow.ok()) {
    Complain(flow.status().message());
    return kExitFlowFailed;
  }
  Copier copier(**flow, platform->input(), platform->output(),
                platform->loop());
  return copier.Run();
}

}  // namespace
}  // namespace hvsock::hvcat

int main(int argc, char** argv) { return hvsock::hvcat::Main(argc, argv); }
