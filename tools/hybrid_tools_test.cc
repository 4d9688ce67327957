// hvcat and hvstress with hybrid-vsock:// and hyperkit:// URIs, end to end
// through testing/fake_vmm.h (in this process, on its own thread): the
// tools run as child processes; the "guest" is another tool listening on
// the fake's guest socket, or a peer written here with raw sockets and
// hand-made frames.
//
// Every wait is bounded: tools are killed past their limit
// (tool_process.h), the raw peer's sockets have timeouts, and waits for a
// socket file poll a bounded number of times. Nothing is timed.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_vmm.h"
#include "tools/peer_socket.h"
#include "tools/tool_process.h"

namespace {

using ::hvsock::testing::FakeVmm;
using ::hvsock::testing::RunfilePath;
using ::hvsock::testing::SendAll;
using ::hvsock::testing::ToolProcess;
using ::hvsock::testing::ToolStreams;
using ::testing::HasSubstr;
using Result = ::hvsock::testing::ToolResult;

constexpr auto kToolLimit = std::chrono::seconds(60);

// A file holding `text`, opened for reading (a tool's standard input).
int InputFile(const std::string& text) {
  char path[] = "/tmp/hvsock-input-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  unlink(path);
  EXPECT_EQ(write(fd, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  lseek(fd, 0, SEEK_SET);
  return fd;
}

std::string U32LE(uint32_t value) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (8 * i));
  return out;
}

class HybridToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/hvsock-tools-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    vmm_.reset();
    std::string command = "rm -rf '" + dir_ + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }

  void StartVmm(FakeVmm::Options options) {
    options.path = options.layout == FakeVmm::Layout::kHybridVsock
                       ? dir_ + "/v.sock"
                       : dir_;
    options.guest_dir = dir_;
    auto vmm = FakeVmm::Start(options);
    ASSERT_TRUE(vmm.ok()) << vmm.status();
    vmm_ = *std::move(vmm);
  }

  std::string Hybrid(uint32_t port) const {
    return "hybrid-vsock://" + dir_ + "/v.sock:" + std::to_string(port);
  }
  std::string GuestUnix(uint32_t port) const {
    return "unix://" + FakeVmm::GuestPortPath(dir_, port);
  }

  // Waits (boundedly) until a socket file exists at `path`.
  static bool AwaitSocketFile(const std::string& path) {
    for (int i = 0; i < 2000; ++i) {
      struct stat info;
      if (stat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  std::unique_ptr<ToolProcess> Hvcat(const std::vector<std::string>& args,
                                     const std::string& input) {
    ToolStreams streams;
    streams.in = InputFile(input);
    return std::make_unique<ToolProcess>(RunfilePath("tools/hvcat/hvcat"), args,
                                         streams);
  }

  // A guest hvcat listening on its port `port`, then a host hvcat
  // connecting to `host_uri`; both copy their input and exit.
  void HvcatBothWays(const std::string& host_uri, uint32_t port,
                     const std::vector<std::string>& guest_flags,
                     const std::vector<std::string>& host_flags) {
    std::vector<std::string> guest_args = {"-l"};
    guest_args.insert(guest_args.end(), guest_flags.begin(), guest_flags.end());
    guest_args.push_back(GuestUnix(port));
    auto guest = Hvcat(guest_args, "from the guest");
    ASSERT_TRUE(AwaitSocketFile(FakeVmm::GuestPortPath(dir_, port)));
    // --retry: the guest's socket file exists a moment before it listens.
    std::vector<std::string> host_args = {"--retry"};
    host_args.insert(host_args.end(), host_flags.begin(), host_flags.end());
    host_args.push_back(host_uri);
    auto host = Hvcat(host_args, "from the host");
    Result host_result = host->Wait(kToolLimit);
    Result guest_result = guest->Wait(kToolLimit);
    EXPECT_EQ(host_result.exit_code, 0) << host_result.err;
    EXPECT_EQ(guest_result.exit_code, 0) << guest_result.err;
    EXPECT_EQ(host_result.out, "from the guest");
    EXPECT_EQ(guest_result.out, "from the host");
  }

  // The guest connects to host port `port`, retrying (boundedly) while the
  // host's socket file exists but does not listen yet.
  absl::StatusOr<hvsock::UniqueFd> GuestConnects(uint32_t port) {
    absl::StatusOr<hvsock::UniqueFd> guest = vmm_->GuestConnect(port);
    for (int i = 0; i < 2000 && !guest.ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      guest = vmm_->GuestConnect(port);
    }
    return guest;
  }

  std::string dir_;
  std::unique_ptr<FakeVmm> vmm_;
};

// ── hvcat ─────────────────────────────────────────────────────────────

TEST_F(HybridToolsTest, HvcatTalksToAGuestThroughFirecrackerFramedByDefault) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  // The guest speaks framed; the host's hvcat picks framed by itself.
  HvcatBothWays(Hybrid(52), 52, {"--protocol=framed"}, {});
}

TEST_F(HybridToolsTest, HvcatHonoursAnExplicitNativeProtocol) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kHalfClose;  // Cloud Hypervisor
  StartVmm(options);
  HvcatBothWays(Hybrid(52), 52, {"--protocol=native"}, {"--protocol=native"});
}

TEST_F(HybridToolsTest, HvcatTalksToAGuestThroughHyperkitNativeByDefault) {
  FakeVmm::Options options;
  options.layout = FakeVmm::Layout::kHyperkit;
  options.guest_cid = 9;
  StartVmm(options);
  HvcatBothWays("hyperkit://" + dir_ + ":20480?cid=9", 20480, {}, {});
}

TEST_F(HybridToolsTest, ARefusedHvcatExitsAtOnceSayingWhatTheVmmDid) {
  StartVmm({});
  auto host = Hvcat({Hybrid(52)}, "");
  Result result = host->Wait(kToolLimit);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err,
              HasSubstr("hybrid vsock: no listener on guest port 52 (the VMM "
                        "closed the connection before OK)"));
  EXPECT_EQ(vmm_->stats().refused, 1u);
}

TEST_F(HybridToolsTest, HvcatRetryWaitsForAGuestThatListensLate) {
  StartVmm({});
  auto host =
      Hvcat({"--retry", "--connect-timeout=30", Hybrid(52)}, "from the host");
  // The guest comes up only after hvcat has been refused once.
  for (int i = 0; i < 2000 && vmm_->stats().refused == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(vmm_->stats().refused, 1u);
  auto guest =
      Hvcat({"-l", "--protocol=framed", GuestUnix(52)}, "from the guest");
  Result host_result = host->Wait(kToolLimit);
  Result guest_result = guest->Wait(kToolLimit);
  EXPECT_EQ(host_result.exit_code, 0) << host_result.err;
  EXPECT_EQ(host_result.out, "from the guest");
  EXPECT_EQ(guest_result.out, "from the host");
}

// The guest connects to the host's port 1234: the VMM connects to
// "<uds_path>_1234", where hvcat -l listens. The guest side here is a raw
// framed peer: Data, ShutdownWrite, then it reads to the end.
TEST_F(HybridToolsTest, HvcatListensWhereTheVmmDeliversGuestConnections) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  auto host = Hvcat({"-l", Hybrid(1234)}, "pong");
  ASSERT_TRUE(AwaitSocketFile(dir_ + "/v.sock_1234"));
  auto guest = GuestConnects(1234);
  ASSERT_TRUE(guest.ok()) << guest.status();
  timeval tv{10, 0};
  setsockopt(guest->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ASSERT_TRUE(SendAll(guest->get(),
                      U32LE(4) + "ping" + U32LE(0xbeefdead)));  // ShutdownWrite
  std::string received;
  char buffer[256];
  while (received.find(U32LE(0xdeaddead)) == std::string::npos) {  // Close
    ssize_t n = recv(guest->get(), buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<size_t>(n));
  }
  guest->reset();  // hvcat's Close is answered by the end of the stream
  Result result = host->Wait(kToolLimit);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "ping");
  // "pong", then the end of hvcat's writes: ShutdownWrite, or straight
  // Close when our ShutdownWrite came first.
  EXPECT_EQ(received.substr(0, 8), U32LE(4) + "pong");
  std::string end_marker = received.substr(8, 4);
  EXPECT_TRUE(end_marker == U32LE(0xbeefdead) ||
              end_marker == U32LE(0xdeaddead))
      << received;
}

TEST_F(HybridToolsTest, HvcatHelpSaysFramedIsTheHybridVsockDefault) {
  Result result = ToolProcess(RunfilePath("tools/hvcat/hvcat"), {"--help"})
                      .Wait(kToolLimit);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("hybrid-vsock:///path/to/v.sock:PORT"));
  EXPECT_THAT(result.out, HasSubstr("hyperkit:///path/to/dir:PORT[?cid=N]"));
  EXPECT_THAT(result.out, HasSubstr("framed for hybrid-vsock://"));
}

// ── hvstress ──────────────────────────────────────────────────────────

// The guest runs hvstress's echo server on its port; the host's hvstress
// stresses it through the VMM.
void StressThroughVmm(const std::string& target, const std::string& guest,
                      const std::string& guest_socket,
                      const std::vector<std::string>& guest_flags,
                      const std::vector<std::string>& host_flags = {}) {
  std::vector<std::string> server_args = {"--server", guest};
  server_args.insert(server_args.end(), guest_flags.begin(), guest_flags.end());
  ToolProcess server(RunfilePath("tools/hvstress/hvstress"), server_args);
  // Until the guest's server accepts connections (a probe it counts as a
  // failed flow, which does not change its exit status).
  for (int i = 0; i < 2000; ++i) {
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = ::hvsock::testing::UnixAddr(guest_socket);
    bool up =
        connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(probe);
    if (up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<std::string> client_args = {"--uri",  target, "-n",      "200",
                                          "-p",     "50",   "--bytes", "0-64K",
                                          "--seed", "7",    "--json"};
  client_args.insert(client_args.end(), host_flags.begin(), host_flags.end());
  Result client =
      ToolProcess(RunfilePath("tools/hvstress/hvstress"), client_args)
          .Wait(kToolLimit);
  EXPECT_EQ(client.exit_code, 0) << client.err << client.out;
  EXPECT_THAT(client.out, HasSubstr("\"connections_ok\":200"));
  server.Signal(SIGTERM);
  Result served = server.Wait(kToolLimit);
  EXPECT_EQ(served.exit_code, 0) << served.err;
}

TEST_F(HybridToolsTest, HvstressThroughFirecrackerFramedByDefault) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  StressThroughVmm(Hybrid(52), GuestUnix(52), FakeVmm::GuestPortPath(dir_, 52),
                   {"--protocol=framed"});
}

TEST_F(HybridToolsTest, HvstressHonoursAnExplicitNativeProtocol) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kHalfClose;  // Cloud Hypervisor
  StartVmm(options);
  StressThroughVmm(Hybrid(52), GuestUnix(52), FakeVmm::GuestPortPath(dir_, 52),
                   {"--protocol=native"}, {"--protocol=native"});
}

TEST_F(HybridToolsTest, HvstressThroughHyperkit) {
  FakeVmm::Options options;
  options.layout = FakeVmm::Layout::kHyperkit;
  StartVmm(options);
  StressThroughVmm("hyperkit://" + dir_ + ":20480", GuestUnix(20480),
                   FakeVmm::GuestPortPath(dir_, 20480), {});
}

// Channels of one multiplexed connection through the VMM: the guest's
// server speaks the multiplexer on its port, the host reaches it through
// the VMM's handshake.
TEST_F(HybridToolsTest, HvstressMultiplexesChannelsThroughFirecracker) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  StressThroughVmm(Hybrid(52), GuestUnix(52), FakeVmm::GuestPortPath(dir_, 52),
                   {"--mux"}, {"--mux"});
}

// --threads through the VMM: each thread's connections make the VMM's
// handshake (the client, and the guest's server, on two loops).
TEST_F(HybridToolsTest, HvstressOnTwoThreadsThroughFirecracker) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  StressThroughVmm(Hybrid(52), GuestUnix(52), FakeVmm::GuestPortPath(dir_, 52),
                   {"--protocol=framed", "--threads=2"}, {"--threads=2"});
}

// --mux with --threads through the VMM: one multiplexed connection per
// thread, each through the handshake.
TEST_F(HybridToolsTest, HvstressMultiplexesOnTwoThreadsThroughHyperkit) {
  FakeVmm::Options options;
  options.layout = FakeVmm::Layout::kHyperkit;
  StartVmm(options);
  StressThroughVmm("hyperkit://" + dir_ + ":20480", GuestUnix(20480),
                   FakeVmm::GuestPortPath(dir_, 20480),
                   {"--mux", "--threads=2"}, {"--mux", "--threads=2"});
}

// hvstress --server on a hybrid-vsock:// URI listens on "<uds_path>_<port>"
// (framed by default): a guest connection through the VMM is echoed.
TEST_F(HybridToolsTest, HvstressServerListensWhereTheVmmDeliversGuests) {
  FakeVmm::Options options;
  options.close = FakeVmm::CloseSemantics::kFirecracker;
  StartVmm(options);
  ToolProcess server(RunfilePath("tools/hvstress/hvstress"),
                     {"--server", Hybrid(1234)});
  ASSERT_TRUE(AwaitSocketFile(dir_ + "/v.sock_1234"));
  auto guest = GuestConnects(1234);
  ASSERT_TRUE(guest.ok()) << guest.status();
  timeval tv{10, 0};
  setsockopt(guest->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ASSERT_TRUE(SendAll(guest->get(), U32LE(5) + "hello" + U32LE(0xbeefdead)));
  // The guest ended first, so the echo ends with the server's Close; the
  // guest answers it with its own, as a framed peer does.
  std::string received;
  char buffer[256];
  while (received.find(U32LE(0xdeaddead)) == std::string::npos) {
    ssize_t n = recv(guest->get(), buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<size_t>(n));
  }
  EXPECT_EQ(received, U32LE(5) + "hello" + U32LE(0xdeaddead));
  ASSERT_TRUE(SendAll(guest->get(), U32LE(0xdeaddead)));
  // The server closes its end once our Close has arrived.
  while (recv(guest->get(), buffer, sizeof(buffer), 0) > 0) {
  }
  guest->reset();
  server.Signal(SIGTERM);
  Result served = server.Wait(kToolLimit);
  EXPECT_THAT(served.err, HasSubstr("echo server (framed"));
  EXPECT_THAT(served.err, HasSubstr("1 echoed and closed"));
}

TEST_F(HybridToolsTest, HvstressHelpSaysFramedIsTheHybridVsockDefault) {
  Result result =
      ToolProcess(RunfilePath("tools/hvstress/hvstress"), {"--help"})
          .Wait(kToolLimit);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("hybrid-vsock:///path/to/v.sock:PORT"));
  EXPECT_THAT(result.out, HasSubstr("framed for\n"));
}

}  // namespace
