// hvstress --mux in process: MuxStressRun's verified echo streams as
// channels of several multiplexed connections to a MuxEchoServer on the
// same loop, over a Unix socket in a private directory; and the --mux
// option's parsing.
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "backends/posix/event_loop.h"
#include "gtest/gtest.h"
#include "tools/hvstress/mux_echo_server.h"
#include "tools/hvstress/mux_stress_run.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/stream_pattern.h"

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

TEST(MuxStressRun, EveryChannelOfEveryConnectionIsVerified) {
  std::string dir = "/tmp/hvstress-mux-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/echo.sock";
  auto loop = EventLoop::Create().value();
  auto server = MuxEchoServer::Start(*loop, UnixAddress{path},
                                     MuxEchoServer::ServerOptions())
                    .value();
  Options options;
  options.connections = 60;
  options.parallel = 12;
  options.bytes = {0, 100'000};
  options.write_size = {1, 9000};
  options.seed = 7;
  options.mux = 3;
  StreamPattern pattern(*options.seed);
  MuxStressRun run(*loop, options, server->address(), pattern, options.mux);
  ASSERT_TRUE(run.Run(nullptr).ok());
  const StressResult& result = run.result();
  EXPECT_EQ(result.started, 60u);
  EXPECT_EQ(result.ok, 60u);
  EXPECT_EQ(result.failed, 0u);
  EXPECT_TRUE(result.errors.empty());
  EXPECT_GT(result.bytes_verified, 0u);
  EXPECT_EQ(run.transports_connected(), 3u);
  EXPECT_EQ(server->connections(), 3u);
  EXPECT_EQ(server->stats().accepted, 60u);
  // The server's side completes once the clients' Closes reach it.
  ASSERT_TRUE(loop->RunUntil([&] { return server->stats().closed == 60u; },
                             absl::Seconds(20))
                  .ok());
  EXPECT_EQ(server->stats().failed, 0u);
  server.reset();
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
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

}  // namespace
}  // namespace hvsock::hvstress
