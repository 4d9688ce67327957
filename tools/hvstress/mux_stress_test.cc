// hvstress --mux in process: MuxStressRun's verified echo streams as
// channels of several multiplexed connections to a MuxEchoServer on the
// same loop, over a Unix socket in a private directory; the same on two
// threads (ThreadedStress's MuxStressRuns against a multiplexed
// EchoServerGroup on two loops); and the --mux option's parsing.
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "backends/posix/event_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/hvstress/echo_server_group.h"
#include "tools/hvstress/mux_echo_server.h"
#include "tools/hvstress/mux_stress_run.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/stream_pattern.h"
#include "tools/hvstress/threaded_stress.h"

namespace hvsock::hvstress {
namespace {

absl::StatusOr<Options> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "hvstress");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(MuxOption, BareMuxMeansOneConnectionAndAValueSaysHowMany) {
  EXPECT_EQ(Parse({}).value().mux, 0u);
  EXPECT_EQ(Parse({"--mux"}).value().mux, 1u);
  EXPECT_EQ(Parse({"--mux=4"}).value().mux, 4u);
  EXPECT_FALSE(Parse({"--mux=0"}).ok());
  Options server = Parse({"--server", "unix:///tmp/x", "--mux"}).value();
  EXPECT_EQ(server.mode, Options::Mode::kServer);
  EXPECT_EQ(server.mux, 1u);
}

TEST(MuxOption, WithThreadsABareMuxIsOneConnectionPerThread) {
  EXPECT_EQ(Parse({"--mux", "--threads=3"}).value().mux, 3u);
  EXPECT_EQ(Parse({"--threads=3", "--mux"}).value().mux, 3u);
  EXPECT_EQ(Parse({"--mux=5", "--threads=3"}).value().mux, 5u);
  EXPECT_EQ(Parse({"--mux=3", "--threads=3"}).value().mux, 3u);
}

TEST(MuxOption, FewerConnectionsThanThreadsIsAUsageErrorSayingWhatToGive) {
  absl::StatusOr<Options> parsed = Parse({"--mux=2", "--threads=3"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "--mux=2 with --threads=3: each thread runs channels over "
            "multiplexed connections of its own, so give --mux=3 or more (or "
            "a bare --mux: one connection per thread)");
  // A server serves whatever connections come, on any number of loops.
  EXPECT_TRUE(
      Parse({"--server", "unix:///tmp/x", "--mux=1", "--threads=2"}).ok());
}

// A private directory for a server's socket, removed with it.
class SocketDir {
 public:
  SocketDir() {
    std::string dir = "/tmp/hvstress-mux-XXXXXX";
    if (::mkdtemp(dir.data()) != nullptr) dir_ = dir;
  }
  ~SocketDir() {
    ::unlink(path().c_str());
    ::rmdir(dir_.c_str());
  }
  bool ok() const { return !dir_.empty(); }
  std::string path() const { return dir_ + "/echo.sock"; }

 private:
  std::string dir_;
};

// The runs below: 60 channels over 3 multiplexed connections.
Options ThreeConnections(uint64_t threads) {
  Options options;
  options.connections = 60;
  options.parallel = 12;
  options.bytes = {0, 100'000};
  options.write_size = {1, 9000};
  options.seed = 7;
  options.mux = 3;
  options.threads = threads;
  return options;
}

TEST(MuxStressRun, EveryChannelOfEveryConnectionIsVerified) {
  SocketDir dir;
  ASSERT_TRUE(dir.ok());
  auto loop = EventLoop::Create().value();
  auto server = MuxEchoServer::Start(*loop, UnixAddress{dir.path()},
                                     MuxEchoServer::ServerOptions())
                    .value();
  const Options options = ThreeConnections(/*threads=*/1);
  StreamPattern pattern(*options.seed);
  MuxStressRun run(*loop, options, server->address(), pattern, options.mux);
  ASSERT_TRUE(run.Run(nullptr).ok());
  const StressResult& result = run.result();
  EXPECT_EQ(result.started, 60u);
  EXPECT_EQ(result.ok, 60u);
  EXPECT_EQ(result.failed, 0u);
  EXPECT_TRUE(result.errors.empty());
  EXPECT_GT(result.bytes_verified, 0u);
  EXPECT_EQ(result.multiplexed_connections, 3u);
  EXPECT_EQ(server->connections(), 3u);
  EXPECT_EQ(server->stats().accepted, 60u);
  // The server's side completes once the clients' Closes reach it.
  ASSERT_TRUE(loop->RunUntil([&] { return server->stats().closed == 60u; },
                             absl::Seconds(20))
                  .ok());
  EXPECT_EQ(server->stats().failed, 0u);
  server.reset();
}

TEST(MuxStressRun, NoServerFailsTheRunWithAReason) {
  auto loop = EventLoop::Create().value();
  Options options;
  options.connections = 5;
  options.seed = 1;
  options.connect_timeout = absl::Seconds(2);
  StreamPattern pattern(1);
  MuxStressRun run(*loop, options,
                   UnixAddress{"/nonexistent-hvstress-mux/echo.sock"}, pattern,
                   2);
  ASSERT_TRUE(run.Run(nullptr).ok());
  EXPECT_EQ(run.result().ok, 0u);
  EXPECT_GT(run.result().failed, 0u);
  EXPECT_FALSE(run.result().errors.empty());
}

// ThreadedStress's runs as hvstress makes them with --mux.
ThreadedStress::RunFactory MuxRuns(const Address& target,
                                   const StreamPattern& pattern) {
  return [&target, &pattern](EventLoop& loop, const Options& share,
                             std::atomic<uint64_t>* numbers) {
    return std::make_unique<MuxStressRun>(loop, share, target, pattern,
                                          share.mux, numbers);
  };
}

// --mux=3 --threads=2 against a multiplexed echo server on two loops:
// every channel verified, and the connections of both threads counted.
TEST(ThreadedMuxStress, TwoThreadsVerifyEveryChannelOverEveryConnection) {
  SocketDir dir;
  ASSERT_TRUE(dir.ok());
  auto server = EchoServerGroup::StartMultiplexed(
                    UnixAddress{dir.path()}, MuxEchoServer::ServerOptions(), 2)
                    .value();
  const Options options = ThreeConnections(/*threads=*/2);
  StreamPattern pattern(*options.seed);
  const Address target = server->address();
  ThreadedStress run(options, MuxRuns(target, pattern));
  ASSERT_TRUE(run.Run(nullptr, nullptr).ok());

  const StressResult& result = run.result();
  EXPECT_EQ(result.started, 60u);
  EXPECT_EQ(result.ok, 60u);
  EXPECT_EQ(result.failed, 0u);
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.multiplexed_connections, 3u);  // 2 on one thread, 1
  EXPECT_EQ(result.connect.count(), 3u);
  // The two threads took the 60 numbers between them (how many each got
  // depends on the scheduling).
  ASSERT_EQ(run.ok_per_thread().size(), 2u);
  EXPECT_EQ(run.ok_per_thread()[0] + run.ok_per_thread()[1], 60u);
  ASSERT_TRUE(server->Stop().ok());
  EXPECT_EQ(server->stats().accepted, 60u);
  EXPECT_TRUE(server->stats().errors.empty());
  // The server dealt the three connections to its two loops in turn.
  EXPECT_THAT(server->connections_per_thread(), ::testing::ElementsAre(2, 1));
}

// --connections and --seed mean the same whatever the thread count: the
// same channels, so the same bytes.
TEST(ThreadedMuxStress, TwoThreadsVerifyTheSameBytesAsOne) {
  uint64_t bytes[2] = {0, 0};
  for (uint64_t threads : {1, 2}) {
    SocketDir dir;
    ASSERT_TRUE(dir.ok());
    auto server =
        EchoServerGroup::StartMultiplexed(UnixAddress{dir.path()},
                                          MuxEchoServer::ServerOptions(), 2)
            .value();
    const Options options = ThreeConnections(threads);
    StreamPattern pattern(*options.seed);
    const Address target = server->address();
    ThreadedStress run(options, MuxRuns(target, pattern));
    ASSERT_TRUE(run.Run(nullptr, nullptr).ok());
    EXPECT_EQ(run.result().ok, 60u) << threads << " thread(s)";
    bytes[threads - 1] = run.result().bytes_verified;
  }
  EXPECT_GT(bytes[0], 0u);
  EXPECT_EQ(bytes[1], bytes[0]);
}

TEST(ThreadedMuxStress, FewerConnectionsThanThreadsIsRefusedBeforeAnyRun) {
  Options options = ThreeConnections(/*threads=*/4);
  StreamPattern pattern(*options.seed);
  const Address target = UnixAddress{"/nonexistent-hvstress-mux/echo.sock"};
  ThreadedStress run(options, MuxRuns(target, pattern));
  absl::Status status = run.Run(nullptr, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "--mux=3 with --threads=4: every thread needs a multiplexed "
            "connection of its own, so at least 4 connections");
  EXPECT_EQ(run.result().started, 0u);
}

}  // namespace
}  // namespace hvsock::hvstress
