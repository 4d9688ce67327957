// End-to-end tests of hvstress: the binary against its own echo server,
// against a second hvstress running only the server, and against echo
// servers written here with raw sockets that misbehave on purpose (drop a
// byte, reset, never close, never read). Each faulty server must make
// hvstress exit non-zero and name the right error in its JSON summary.
//
// The faulty servers share no code with hvstress (blocking POSIX sockets,
// one thread per connection), so they check it from outside. Every wait is
// bounded: accepts and reads poll with timeouts, and hvstress is killed if
// it runs too long. Sizes are small; nothing is timed.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/peer_socket.h"
#include "tools/tool_process.h"

namespace {

using ::hvsock::testing::RunfilePath;
using ::hvsock::testing::SendAll;
using ::hvsock::testing::ToolProcess;
using ::hvsock::testing::UnixAddr;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;
using Result = ::hvsock::testing::ToolResult;

constexpr auto kHvstressLimit = std::chrono::seconds(60);
constexpr int kPollMs = 20;

// ── Running hvstress ───────────────────────────────────────────────────

std::string HvstressPath() { return RunfilePath("tools/hvstress/hvstress"); }

Result RunHvstress(const std::vector<std::string>& args) {
  return ToolProcess(HvstressPath(), args).Wait(kHvstressLimit);
}

// The "errors" member of hvstress's JSON summary: error text → count.
// Enough JSON for that object: string keys with \" and \\ escapes, whole
// number values.
std::map<std::string, long> ErrorsIn(const std::string& json) {
  std::map<std::string, long> errors;
  size_t at = json.find("\"errors\":{");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no errors object in " << json;
    return errors;
  }
  at += 10;
  while (at < json.size() && json[at] != '}') {
    if (json[at] == ',') ++at;
    EXPECT_EQ(json[at], '"') << json.substr(at);
    std::string key;
    for (++at; at < json.size() && json[at] != '"'; ++at) {
      if (json[at] == '\\') ++at;
      key += json[at];
    }
    at += 2;  // the closing quote and the colon
    size_t end = json.find_first_not_of("0123456789", at);
    errors[key] = std::stol(json.substr(at, end - at));
    at = end;
  }
  return errors;
}

// A number member of the JSON summary ("connections_ok": 12).
long NumberIn(const std::string& json, const std::string& name) {
  size_t at = json.find("\"" + name + "\":");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << name << " in " << json;
    return -1;
  }
  return std::stol(json.substr(at + name.size() + 3));
}

// ── Echo servers written from the protocol's description ──────────────

// Waits until `fd` is readable or the server is stopping.
bool WaitReadable(int fd, const std::atomic<bool>& stopping) {
  while (!stopping) {
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, kPollMs);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
  return false;
}

// Reads what is there (after waiting for it): >0 bytes, 0 at EOF, -1 on
// error or when stopping.
ssize_t ReadSome(int fd, std::string* buffer,
                 const std::atomic<bool>& stopping) {
  if (!WaitReadable(fd, stopping)) return -1;
  buffer->resize(65536);
  ssize_t n;
  do {
    n = recv(fd, buffer->data(), buffer->size(), 0);
  } while (n < 0 && errno == EINTR);
  buffer->resize(n > 0 ? static_cast<size_t>(n) : 0);
  return n;
}

// A native-protocol server on a Unix socket in a temporary directory. Each
// accepted connection is handed to `handle` on its own thread; handlers
// must return soon after `stopping` becomes true.
class TestServer {
 public:
  using Handler =
      std::function<void(int fd, const std::atomic<bool>& stopping)>;

  explicit TestServer(Handler handle) : handle_(std::move(handle)) {
    char pattern[] = "/tmp/hvstress-test-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/echo.sock";
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = UnixAddr(path_);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    EXPECT_EQ(listen(listener_, 64), 0);
    acceptor_ = std::thread([this] {
      while (WaitReadable(listener_, stopping_)) {
        int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        std::lock_guard<std::mutex> lock(mutex_);
        connections_.emplace_back([this, fd] { handle_(fd, stopping_); });
      }
    });
  }

  ~TestServer() {
    stopping_ = true;
    acceptor_.join();
    for (std::thread& t : connections_) t.join();
    close(listener_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  std::string uri() const { return "unix://" + path_; }

 private:
  Handler handle_;
  std::string dir_, path_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

// Runs hvstress against `server` with `args`, the summary as JSON and no
// progress lines.
Result RunAgainst(const TestServer& server, std::vector<std::string> args) {
  args.insert(args.begin(), {"--uri", server.uri()});
  args.insert(args.end(), {"--json", "--quiet"});
  return RunHvstress(args);
}

// Echoes every byte except the stream's byte number `dropped`; then, at
// the client's end, ends its own writes and closes — an echo that is one
// byte short and differs from the dropped byte on.
void EchoDroppingOneByte(int fd, const std::atomic<bool>& stopping,
                         size_t dropped) {
  std::string buffer;
  size_t seen = 0;
  while (ReadSome(fd, &buffer, stopping) > 0) {
    if (dropped >= seen && dropped < seen + buffer.size()) {
      buffer.erase(dropped - seen, 1);
      seen += 1;
    }
    seen += buffer.size();
    if (!SendAll(fd, buffer)) break;
  }
  shutdown(fd, SHUT_WR);
  close(fd);
}

// A correct echo that never ends its writes nor closes: it holds the
// connection open until the server stops.
void EchoNeverClosing(int fd, const std::atomic<bool>& stopping) {
  std::string buffer;
  while (ReadSome(fd, &buffer, stopping) > 0) {
    if (!SendAll(fd, buffer)) break;
  }
  while (!stopping)
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  close(fd);
}

// Waits for the client's first bytes, then closes without reading them:
// closing a Unix socket with unread data resets the connection.
void ResetOnFirstBytes(int fd, const std::atomic<bool>& stopping) {
  WaitReadable(fd, stopping);
  close(fd);
}

// Accepts and then neither reads nor writes, until the server stops.
void NeverRead(int fd, const std::atomic<bool>& stopping) {
  while (!stopping)
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  close(fd);
}

// ── The stories ────────────────────────────────────────────────────────

// Small streams in small writes, a few at a time: quick, and still many
// writes, half-closes and closes per run.
const std::vector<std::string> kSmallRun = {
    "--connections=40", "--parallel=8", "--bytes=0-64K", "--write-size=1-4K",
    "--seed=7",         "--json",       "--quiet"};

std::vector<std::string> With(std::vector<std::string> args,
                              const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(Hvstress, ShortRunAgainstItsOwnEchoServerVerifiesEveryConnection) {
  Result r = RunHvstress(kSmallRun);

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NumberIn(r.out, "connections_ok"), 40);
  EXPECT_EQ(NumberIn(r.out, "connections_failed"), 0);
  EXPECT_GT(NumberIn(r.out, "bytes_verified"), 0);
  EXPECT_THAT(r.out, HasSubstr("\"seconds\":"));
  EXPECT_TRUE(ErrorsIn(r.out).empty()) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(Hvstress, ShortFramedRunVerifiesEveryConnection) {
  Result r = RunHvstress(With(kSmallRun, {"--protocol=framed"}));

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NumberIn(r.out, "connections_ok"), 40);
  EXPECT_THAT(r.out, HasSubstr("\"protocol\":\"framed\""));
}

TEST(Hvstress, TheSameSeedMovesTheSameBytes) {
  Result first = RunHvstress(kSmallRun);
  Result second = RunHvstress(kSmallRun);

  EXPECT_EQ(NumberIn(first.out, "bytes_verified"),
            NumberIn(second.out, "bytes_verified"));
  EXPECT_THAT(first.out, HasSubstr("\"seed\":7,"));
}

TEST(Hvstress, TextSummaryAndPlainProgressLinesWhenNotATerminal) {
  Result r = RunHvstress({"--connections=3", "--bytes=1K", "--seed=5"});

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("hvstress: PASS: 3 connections verified, "
                                "0 failed"));
  EXPECT_THAT(r.out, HasSubstr("--seed=5"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("\r")));
}

TEST(Hvstress, ServerModeAndClientModeAreTheTwoHalves) {
  char pattern[] = "/tmp/hvstress-test-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::string uri = "unix://" + dir + "/echo.sock";
  ToolProcess server(HvstressPath(), {"--server", uri, "--protocol=framed"});

  // The client retries nothing: wait for the socket file to appear.
  for (int i = 0; i < 500 && access((dir + "/echo.sock").c_str(), F_OK) != 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Result client =
      RunHvstress(With(kSmallRun, {"--uri", uri, "--protocol=framed"}));
  server.Signal(SIGTERM);
  Result served = server.Wait(kHvstressLimit);
  rmdir(dir.c_str());

  EXPECT_EQ(client.exit_code, 0) << client.err;
  EXPECT_EQ(NumberIn(client.out, "connections_ok"), 40);
  EXPECT_EQ(served.exit_code, 0);
  EXPECT_THAT(served.err, HasSubstr("listening on " + uri));
  EXPECT_THAT(served.err, HasSubstr("40 flows accepted, 40 echoed and closed, "
                                    "0 failed"));
}

TEST(Hvstress, TheServerStoppedByAnySignalRemovesItsSocketFile) {
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    SCOPED_TRACE(strsignal(signal));
    char pattern[] = "/tmp/hvstress-test-XXXXXX";
    std::string dir = mkdtemp(pattern);
    std::string path = dir + "/echo.sock";
    ToolProcess server(HvstressPath(), {"--server", "unix://" + path});
    for (int i = 0; i < 1000 && access(path.c_str(), F_OK) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(access(path.c_str(), F_OK), 0) << "the server never listened";
    server.Signal(signal);
    Result served = server.Wait(kHvstressLimit);
    EXPECT_EQ(served.exit_code, 0) << served.err;
    EXPECT_THAT(served.err, HasSubstr("stopped: 0 flows accepted"));
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "socket file left behind";
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
}

TEST(Hvstress, TheServerDropsAClientThatNeverSendsAfterItsIdleTimeout) {
  char pattern[] = "/tmp/hvstress-test-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::string path = dir + "/echo.sock";
  ToolProcess server(HvstressPath(),
                     {"--server", "unix://" + path, "--idle-timeout=0.3"});
  for (int i = 0; i < 1000 && access(path.c_str(), F_OK) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = UnixAddr(path);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  // Connected, and then nothing: the server must hang up on us by itself.
  pollfd pfd{client, POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 20000), 1) << "the idle client was never dropped";
  char byte;
  ssize_t n = recv(client, &byte, 1, 0);
  EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n;
  close(client);
  server.Signal(SIGTERM);
  Result served = server.Wait(kHvstressLimit);
  rmdir(dir.c_str());
  EXPECT_THAT(served.err, HasSubstr("idle timeout 300ms"));
  EXPECT_THAT(served.err, HasSubstr("1 flows accepted, 0 echoed and closed, "
                                    "1 failed"));
  EXPECT_THAT(served.err, HasSubstr("1 × idle timeout"));
}

TEST(Hvstress, TwoThreadsVerifyTheSameConnectionsAndBytesAsOne) {
  Result one = RunHvstress(kSmallRun);
  Result two = RunHvstress(With(kSmallRun, {"--threads=2"}));

  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(NumberIn(two.out, "connections_ok"), 40);
  EXPECT_EQ(NumberIn(two.out, "connections_failed"), 0);
  EXPECT_EQ(NumberIn(two.out, "bytes_verified"),
            NumberIn(one.out, "bytes_verified"));
  EXPECT_TRUE(ErrorsIn(two.out).empty()) << two.out;
}

TEST(Hvstress, AThreadedServerSpreadsConnectionsEvenlyOverItsThreads) {
  char pattern[] = "/tmp/hvstress-test-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::string uri = "unix://" + dir + "/echo.sock";
  ToolProcess server(HvstressPath(), {"--server", uri, "--threads=2"});
  for (int i = 0; i < 500 && access((dir + "/echo.sock").c_str(), F_OK) != 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Result client = RunHvstress(With(kSmallRun, {"--uri", uri, "--threads=3"}));
  server.Signal(SIGTERM);
  Result served = server.Wait(kHvstressLimit);
  rmdir(dir.c_str());

  EXPECT_EQ(client.exit_code, 0) << client.err;
  EXPECT_EQ(NumberIn(client.out, "connections_ok"), 40);
  EXPECT_EQ(served.exit_code, 0) << served.err;
  EXPECT_THAT(served.err, HasSubstr("with 2 threads"));
  EXPECT_THAT(served.err, HasSubstr("40 flows accepted, 40 echoed and closed, "
                                    "0 failed"));
  EXPECT_THAT(served.err, HasSubstr("flows accepted per thread: 20, 20"));
}

// --mux=3 --threads=2 against its own (multiplexed) server: every channel
// verified, and the summary counts the connections of both threads.
TEST(Hvstress, MuxOnTwoThreadsVerifiesEveryChannelOverEveryConnection) {
  Result r = RunHvstress({"--connections=40", "--parallel=8", "--bytes=0-64K",
                          "--write-size=1-4K", "--seed=7", "--quiet", "--mux=3",
                          "--threads=2"});

  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_THAT(r.out, StartsWith("hvstress: PASS: 40 connections verified, "
                                "0 failed"));
  EXPECT_THAT(r.out, HasSubstr("in-process multiplexed echo server at"));
  EXPECT_THAT(r.out, HasSubstr("multiplexed: 40 channels over 3 "
                               "connection(s) (13.3 per connection)"));
  EXPECT_THAT(r.out, HasSubstr("--threads=2 --mux=3"));  // the replay line
}

// `hvstress --server URI --mux --threads=2` serves multiplexed connections
// on two loops: a multiplexed client on two threads verifies against it,
// and each of the server's loops got one of its two connections.
TEST(Hvstress, AThreadedMultiplexedServerServesChannelsOnEveryThread) {
  char pattern[] = "/tmp/hvstress-test-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::string uri = "unix://" + dir + "/echo.sock";
  ToolProcess server(HvstressPath(), {"--server", uri, "--mux", "--threads=2"});
  for (int i = 0; i < 500 && access((dir + "/echo.sock").c_str(), F_OK) != 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Result client =
      RunHvstress(With(kSmallRun, {"--uri", uri, "--mux=2", "--threads=2"}));
  server.Signal(SIGTERM);
  Result served = server.Wait(kHvstressLimit);
  rmdir(dir.c_str());

  EXPECT_EQ(client.exit_code, 0) << client.err << client.out;
  EXPECT_EQ(NumberIn(client.out, "connections_ok"), 40);
  EXPECT_EQ(NumberIn(client.out, "multiplexed_connections"), 2);
  EXPECT_EQ(NumberIn(client.out, "threads"), 2);
  EXPECT_TRUE(ErrorsIn(client.out).empty()) << client.out;
  EXPECT_EQ(served.exit_code, 0) << served.err;
  EXPECT_THAT(
      served.err,
      HasSubstr("multiplexed echo server (vpnkit format) listening on " + uri +
                " with 2 threads"));
  EXPECT_THAT(served.err, HasSubstr("stopped: 40 flows accepted"));
  EXPECT_THAT(served.err,
              HasSubstr("multiplexed connections per thread: 1, 1"));
}

TEST(Hvstress, MuxWithFewerConnectionsThanThreadsIsAUsageError) {
  Result r = RunHvstress({"--mux=1", "--threads=2"});

  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "hvstress: --mux=1 with --threads=2: each thread runs channels "
            "over multiplexed connections of its own, so give --mux=2 or more "
            "(or a bare --mux: one connection per thread) (hvstress --help)\n");
  EXPECT_EQ(r.out, "");
}

TEST(Hvstress, AServerThatDropsAByteIsCaught) {
  TestServer server([](int fd, const std::atomic<bool>& stopping) {
    EchoDroppingOneByte(fd, stopping, /*dropped=*/100);
  });

  Result r = RunAgainst(
      server, {"--connections=6", "--parallel=3", "--bytes=1K-8K", "--seed=3"});

  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(NumberIn(r.out, "connections_ok"), 0);
  EXPECT_EQ(NumberIn(r.out, "connections_failed"), 6);
  EXPECT_THAT(ErrorsIn(r.out),
              ElementsAre(Pair("echo differs from what was sent", 6)));
  // The example says where: at the dropped byte (or just after it, if the
  // next byte happens to be the same).
  EXPECT_THAT(r.out, HasSubstr("first difference at byte 10"));
}

TEST(Hvstress, AServerThatResetsIsCaught) {
  TestServer server(ResetOnFirstBytes);

  Result r = RunAgainst(
      server, {"--connections=4", "--parallel=2", "--bytes=512K", "--seed=4"});

  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(NumberIn(r.out, "connections_failed"), 4);
  std::map<std::string, long> errors = ErrorsIn(r.out);
  long total = 0;
  for (const auto& [error, count] : errors) {
    EXPECT_THAT(error, StartsWith("reset: transport failed: "));
    total += count;
  }
  EXPECT_EQ(total, 4);
}

TEST(Hvstress, AServerThatNeverClosesIsCaughtByTheCloseTimeout) {
  TestServer server(EchoNeverClosing);

  Result r =
      RunAgainst(server, {"--connections=3", "--parallel=3", "--bytes=1K-32K",
                          "--seed=5", "--close-timeout=0.3"});

  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(NumberIn(r.out, "connections_failed"), 3);
  EXPECT_THAT(ErrorsIn(r.out),
              ElementsAre(Pair("close timed out: close made no progress "
                               "for 300ms (state CloseWait); the flow was "
                               "aborted",
                               3)));
}

TEST(Hvstress, AServerThatNeverReadsIsCaughtAsStalled) {
  TestServer server(NeverRead);

  Result r = RunAgainst(server, {"--connections=2", "--bytes=8M", "--seed=6",
                                 "--idle-timeout=0.3"});

  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(ErrorsIn(r.out),
              ElementsAre(Pair("stalled: no byte moved for 300ms before the "
                               "close",
                               2)));
}

TEST(Hvstress, NothingListeningFailsEveryConnectionWithTheReason) {
  Result r = RunHvstress({"--uri", "unix:///nonexistent/hvstress.sock",
                          "--connections=5", "--json", "--quiet"});

  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(NumberIn(r.out, "connections_failed"), 5);
  std::map<std::string, long> errors = ErrorsIn(r.out);
  ASSERT_EQ(errors.size(), 1u) << r.out;
  EXPECT_THAT(errors.begin()->first,
              StartsWith("connect: connect unix:///nonexistent/hvstress.sock"));
  EXPECT_EQ(errors.begin()->second, 5);
}

TEST(Hvstress, BadUsageSaysWhatIsWrong) {
  Result r = RunHvstress({"--bytes=2M-1M"});

  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "hvstress: --bytes: \"2M-1M\": the minimum is larger than the "
            "maximum (hvstress --help)\n");
  EXPECT_EQ(r.out, "");
}

// hvsock:// is Windows' (Hyper-V sockets): on Linux hvstress says so,
// instead of claiming not to know the scheme.
TEST(Hvstress, AnHvsockUriSaysItNeedsWindows) {
  for (const char* mode : {"--uri", "--server"}) {
    Result r = RunHvstress({mode, "hvsock://parent/5000"});

    EXPECT_EQ(r.exit_code, 2) << mode;
    EXPECT_EQ(r.err,
              "hvstress: hvsock://parent/5000 needs Windows (hvsock:// names "
              "a Hyper-V socket); on Linux the schemes are vsock://, unix://, "
              "hybrid-vsock:// and hyperkit:// (hvstress --help)\n")
        << mode;
  }
}

}  // namespace
