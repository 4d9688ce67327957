// fake_vmm: runs testing/fake_vmm.h until interrupted, so hvcat and
// hvstress can be tried by hand against a hybrid vsock or hyperkit VMM
// without one:
//
//   bazel run //testing:fake_vmm_main -- /tmp/vm/v.sock /tmp/vm [options]
//   bazel run //tools:hvstress -- --server unix:///tmp/vm/guest_52
//       --protocol=framed &                  # the "guest", on port 52
//   bazel run //tools/hvcat -- hybrid-vsock:///tmp/vm/v.sock:52
//
// Arguments: PATH (the VMM socket; for --hyperkit its directory), GUEST_DIR
// (the guest's port P listens on GUEST_DIR/guest_P). Options select the
// behaviours of FakeVmm::Options: --hyperkit, --vhost-device (echo the port
// in OK), --firecracker-close (Firecracker's close semantics),
// --drop-partial-line, --never-answer, --refuse-all.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "testing/fake_vmm.h"

int main(int argc, char** argv) {
  hvsock::testing::FakeVmm::Options options;
  std::string positional[2];
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--hyperkit") {
      options.layout = hvsock::testing::FakeVmm::Layout::kHyperkit;
    } else if (arg == "--vhost-device") {
      options.reply_number =
          hvsock::testing::FakeVmm::ReplyNumber::kVhostDevice;
    } else if (arg == "--firecracker-close") {
      options.close = hvsock::testing::FakeVmm::CloseSemantics::kFirecracker;
    } else if (arg == "--drop-partial-line") {
      options.partial_line = hvsock::testing::FakeVmm::PartialLine::kDrop;
    } else if (arg == "--never-answer") {
      options.never_answer = true;
    } else if (arg == "--refuse-all") {
      options.refuse_all = true;
    } else if (!arg.empty() && arg[0] != '-' && count < 2) {
      positional[count++] = arg;
    } else {
      std::fprintf(stderr, "fake_vmm: unexpected argument \"%s\"\n",
                   arg.c_str());
      return 2;
    }
  }
  if (count != 2) {
    std::fprintf(stderr, "usage: fake_vmm PATH GUEST_DIR [options]\n");
    return 2;
  }
  options.path = positional[0];
  options.guest_dir = positional[1];
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the thread starts
  auto vmm = hvsock::testing::FakeVmm::Start(options);
  if (!vmm.ok()) {
    std::fprintf(stderr, "fake_vmm: %s\n",
                 std::string(vmm.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "fake_vmm: listening on %s; guests in %s\n",
               options.path.c_str(), options.guest_dir.c_str());
  int signal = 0;
  sigwait(&signals, &signal);
  return 0;
}
