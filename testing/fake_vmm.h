// FakeVmm: a stand-in for the host side of a VMM's vsock device, for tests
// of hvsock's hybrid vsock and hyperkit support. It listens where the VMM
// would and bridges host connections to in-test "guest" listeners (Unix
// sockets standing in for the guest's vsock ports), and guest connections
// back to the host's listeners, with a switch for each behaviour of the
// real VMMs that hvsock must cope with (see README.md, "Hybrid vsock and
// hyperkit"):
//
//   reply number      Firecracker/Cloud Hypervisor ("OK 1073741824\n",
//                     counting up) or vhost-device-vsock (echoes the port)
//   refusal           no guest listener on the port (or refuse_all): the
//                     connection is closed with no bytes
//   never_answer      the request is read, then nothing: no OK, no close
//   ok_with_guest_data  OK waits for the guest's first bytes and goes out
//                     with them in one segment
//   partial line      Firecracker drops a CONNECT line that is not whole at
//                     the first read; Cloud Hypervisor buffers it
//   discard_after_request  vhost-device-vsock may lose bytes sent after
//                     the CONNECT line, before OK
//   reply_override    any reply bytes instead of the OK line
//   close semantics   Firecracker/vhost-device-vsock: a host end of writes
//                     becomes a full shutdown (the guest sees its end, and
//                     what it writes afterwards is dropped; the host sees
//                     the end of the stream once the guest closes); a
//                     guest's end of writes is invisible to the host until
//                     it closes fully. Half-close (Cloud Hypervisor since
//                     2026-06, hyperkit): each end of writes is passed on.
//   layout            hybrid vsock (listen on `path`, guest port P's host
//                     listener is "<path>_<P>") or hyperkit (`path` is a
//                     directory: "<path>/connect", 18-byte request,
//                     "<path>/00000002.<P %08x>")
//
// Written independently of core/handshake (it parses requests the way the
// VMMs do: Firecracker's case-insensitive, whitespace-split "connect"
// line; hyperkit's single 18-byte read), so the two check each other.
//
// Guest listeners: the guest's port P is the Unix socket GuestPortPath(P)
// under options.guest_dir; tests listen there.
//
// Thread-safety: the fake runs its own thread. Start(), GuestConnect(),
// stats() and the destructor may be called from any one thread.
#ifndef HVSOCK_TESTING_FAKE_VMM_H_
#define HVSOCK_TESTING_FAKE_VMM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/posix/unique_fd.h"

namespace hvsock::testing {

class FakeVmm {
 public:
  enum class Layout { kHybridVsock, kHyperkit };
  enum class ReplyNumber { kFirecracker, kVhostDevice };
  enum class PartialLine { kDrop, kBuffer };
  enum class CloseSemantics { kFirecracker, kHalfClose };

  struct Options {
    Layout layout = Layout::kHybridVsock;
    // Hybrid vsock: the VMM's uds_path. hyperkit: its socket directory.
    std::string path;
    // Where the in-test guest listeners are (GuestPortPath).
    std::string guest_dir;
    ReplyNumber reply_number = ReplyNumber::kFirecracker;
    PartialLine partial_line = PartialLine::kBuffer;
    CloseSemantics close = CloseSemantics::kHalfClose;
    bool refuse_all = false;
    bool never_answer = false;
    bool ok_with_guest_data = false;
    bool discard_after_request = false;
    // Sent instead of the OK line, if set (then bridged as usual): for
    // malformed and oversized replies.
    std::string reply_override;
    uint32_t guest_cid = 3;  // hyperkit: requests for another CID are dropped
  };

  struct Stats {
    uint64_t accepted = 0;  // host connections to the VMM socket
    uint64_t refused = 0;   // closed without a reply (no guest listener...)
    uint64_t dropped = 0;   // closed for a bad or partial request
    uint64_t answered = 0;  // bridged to a guest listener
  };

  static absl::StatusOr<std::unique_ptr<FakeVmm>> Start(Options options);
  ~FakeVmm();  // stops the thread, closes every connection

  FakeVmm(const FakeVmm&) = delete;
  FakeVmm& operator=(const FakeVmm&) = delete;

  static std::string GuestPortPath(const std::string& guest_dir, uint32_t port);

  // A guest connects to host port `host_port`: the VMM connects to the
  // host's listener for that port and bridges it to the returned socket
  // (the guest's end). Fails if nothing listens there (a real VMM would
  // reset the guest's connection).
  absl::StatusOr<UniqueFd> GuestConnect(uint32_t host_port);

  Stats stats() const;

 private:
  struct Bridge;
  explicit FakeVmm(Options options);

  void Run();
  void Accept();
  void ReadRequest(Bridge& bridge);
  void Answer(Bridge& bridge, uint32_t port);
  void Pump(Bridge& bridge, short host_events, short guest_events);
  bool Finished(const Bridge& bridge) const;
  std::string HostListenPath(uint32_t port) const;

  Options options_;
  UniqueFd listener_;
  UniqueFd wake_read_, wake_write_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Bridge>> bridges_;  // the thread's
  std::mutex mutex_;                              // guards incoming_
  std::vector<std::unique_ptr<Bridge>> incoming_;
  uint64_t next_local_port_ = 1u << 30;
  std::atomic<uint64_t> accepted_{0}, refused_{0}, dropped_{0}, answered_{0};
};

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_FAKE_VMM_H_
