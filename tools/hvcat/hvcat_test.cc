// End-to-end tests of hvcat over unix:// sockets, against a peer written
// here from the wire protocols' descriptions alone: it shares no code with
// core/ or backends/ (raw blocking POSIX sockets, framing by hand), so the
// two implementations check each other.
//
// Every wait is bounded: the peer's sockets have receive/send timeouts,
// accepts poll with a timeout, and hvcat is killed if it runs too long
// (tool_process.h).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"
#include "tools/peer_socket.h"
#include "tools/tool_process.h"

namespace {

using ::hvsock::testing::ReadAllFrom;
using ::hvsock::testing::RunfilePath;
using ::hvsock::testing::SendAll;
using ::hvsock::testing::ToolProcess;
using ::hvsock::testing::ToolStreams;
using ::hvsock::testing::UnixAddr;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Result = ::hvsock::testing::ToolResult;

constexpr int kPeerTimeoutSeconds = 10;
constexpr auto kHvcatLimit = std::chrono::seconds(30);

// ── The independent peer: raw sockets and hand-made frames ────────────

// The framed protocol's control headers (ocaml-hvsock Flow_shutdown).
constexpr uint32_t kShutdownRead = 0xdeadbeef;
constexpr uint32_t kShutdownWrite = 0xbeefdead;
constexpr uint32_t kClose = 0xdeaddead;

std::string U32LE(uint32_t value) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (8 * i));
  return out;
}

uint32_t FromU32LE(const std::string& bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]))
             << (8 * i);
  }
  return value;
}

std::string Frame(const std::string& payload) {
  return U32LE(static_cast<uint32_t>(payload.size())) + payload;
}

void SetTimeouts(int fd) {
  timeval tv{kPeerTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int Listen(const std::string& path, int backlog = 4) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = UnixAddr(path);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, backlog) != 0) {
    ADD_FAILURE() << "listen " << path << ": " << strerror(errno);
  }
  return fd;
}

// Accepts one connection, or returns -1 after the peer timeout.
int Accept(int listener) {
  pollfd pfd{listener, POLLIN, 0};
  if (poll(&pfd, 1, kPeerTimeoutSeconds * 1000) != 1) return -1;
  int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) SetTimeouts(fd);
  return fd;
}

// Connects to a listening hvcat, retrying while it is not up yet.
int ConnectWithRetry(const std::string& path) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(kPeerTimeoutSeconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = UnixAddr(path);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      SetTimeouts(fd);
      return fd;
    }
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

// Reads exactly n bytes; false on EOF, error or timeout.
bool ReadExact(int fd, size_t n, std::string* out) {
  out->assign(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, out->data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// Reads until EOF (true) or error/timeout (false).
bool ReadToEof(int fd, std::string* out) {
  char buffer[65536];
  while (true) {
    ssize_t r = recv(fd, buffer, sizeof(buffer), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) return true;
    out->append(buffer, static_cast<size_t>(r));
  }
}

// Reads hvcat's frames until its end of writes (ShutdownWrite or Close),
// which it adds to `control`, or until EOF, an error or the timeout.
// Returns the payload.
std::string ReadFramesToEnd(int fd, std::vector<uint32_t>* control) {
  std::string header, payload, received;
  while (ReadExact(fd, 4, &header)) {
    uint32_t value = FromU32LE(header);
    if (value == kShutdownWrite || value == kClose) {
      control->push_back(value);
      break;
    }
    if (!ReadExact(fd, value, &payload)) break;
    received += payload;
  }
  return received;
}

// After EOF: waits (bounded) until the other end has closed entirely.
void WaitForHangUp(int fd) {
  pollfd pfd{fd, 0, 0};  // POLLHUP is always reported
  poll(&pfd, 1, kPeerTimeoutSeconds * 1000);
}

// Native echo: echoes until EOF, shuts its write side, closes. Records what
// it received.
void NativeEchoPeer(int fd, std::string* received) {
  char buffer[65536];
  while (true) {
    ssize_t r = recv(fd, buffer, sizeof(buffer), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    received->append(buffer, static_cast<size_t>(r));
    if (!SendAll(fd, std::string(buffer, static_cast<size_t>(r)))) break;
  }
  shutdown(fd, SHUT_WR);
  close(fd);
}

// Framed echo: decodes frames by hand, echoes payload re-framed in pieces
// of `piece` bytes (with a zero-length Data frame now and then, which a
// receiver must ignore). On hvcat's ShutdownWrite it answers Close (hvcat
// has ended already), then waits for hvcat to close the transport.
void FramedEchoPeer(int fd, size_t piece, std::string* received,
                    std::vector<uint32_t>* control) {
  std::string header;
  size_t frames = 0;
  while (ReadExact(fd, 4, &header)) {
    uint32_t value = FromU32LE(header);
    if (value == kShutdownWrite || value == kClose || value == kShutdownRead) {
      control->push_back(value);
      if (value != kShutdownRead) break;
      continue;
    }
    std::string payload;
    if (!ReadExact(fd, value, &payload)) return;
    received->append(payload);
    std::string wire;
    for (size_t at = 0; at < payload.size(); at += piece) {
      wire += Frame(payload.substr(at, piece));
    }
    if (++frames % 7 == 0) wire += Frame("");
    if (!SendAll(fd, wire)) return;
  }
  SendAll(fd, U32LE(kClose));
  std::string rest;
  ReadToEof(fd, &rest);  // hvcat closes the transport once both ended
  close(fd);
}

// Sends `bytes` (then ends its writes, with `end_writes`), takes whatever
// hvcat sends until hvcat's end, and closes.
std::function<void(int fd)> SendingPeer(std::string bytes, bool end_writes) {
  return [bytes = std::move(bytes), end_writes](int fd) {
    SendAll(fd, bytes);
    if (end_writes) shutdown(fd, SHUT_WR);
    std::string rest;
    ReadToEof(fd, &rest);
    close(fd);
  };
}

// ── Running hvcat ──────────────────────────────────────────────────────

using OutputPredicate = std::function<bool(const std::string& output)>;

// Runs hvcat with `input` on a pipe to its standard input (written by a
// thread, concurrently with a thread reading its standard output), or with
// both standard streams on regular files when `use_files`. With
// `close_input_when`, standard input stays open after `input` until the
// output seen so far satisfies it (or the output ends, or ten seconds pass).
Result RunHvcat(const std::vector<std::string>& args, const std::string& input,
                bool use_files = false,
                OutputPredicate close_input_when = nullptr) {
  ToolStreams streams;
  int in[2] = {-1, -1};
  char in_file[] = "/tmp/hvcat-in-XXXXXX";
  char out_file[] = "/tmp/hvcat-out-XXXXXX";
  if (use_files) {
    streams.in = mkstemp(in_file);
    streams.out = mkstemp(out_file);
    EXPECT_EQ(write(streams.in, input.data(), input.size()),
              static_cast<ssize_t>(input.size()));
    lseek(streams.in, 0, SEEK_SET);
  } else {
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    streams.in = in[0];
  }
  ToolProcess hvcat(RunfilePath("tools/hvcat/hvcat"), args, streams);
  std::thread writer;
  if (!use_files) {
    writer = std::thread([&] {
      size_t at = 0;
      while (at < input.size()) {
        ssize_t n = write(in[1], input.data() + at, input.size() - at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // hvcat is gone (EPIPE; SIGPIPE is ignored)
        at += static_cast<size_t>(n);
      }
      if (close_input_when) {
        hvcat.WaitForOutput(close_input_when, std::chrono::seconds(10));
      }
      close(in[1]);
    });
  }
  Result result = hvcat.Wait(kHvcatLimit);
  if (writer.joinable()) writer.join();
  if (use_files) {
    int fd = open(out_file, O_RDONLY | O_CLOEXEC);
    ReadAllFrom(fd, &result.out);
    unlink(in_file);
    unlink(out_file);
  }
  return result;
}

class HvcatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { signal(SIGPIPE, SIG_IGN); }
  void SetUp() override {
    char pattern[] = "/tmp/hvcat-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/peer.sock";
    uri_ = "unix://" + path_;
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  // Runs hvcat (as RunHvcat) against a peer listening on uri_, which
  // accepts hvcat's connection and hands it to `serve` on its own thread
  // (`serve` closes it). Returns once hvcat and the peer are done.
  Result RunAgainstPeer(const std::function<void(int fd)>& serve,
                        const std::vector<std::string>& args,
                        const std::string& input, bool use_files = false,
                        OutputPredicate close_input_when = nullptr) {
    int listener = Listen(path_);
    std::thread peer([&] {
      int fd = Accept(listener);
      if (fd >= 0) serve(fd);
    });
    Result r = RunHvcat(args, input, use_files, std::move(close_input_when));
    peer.join();
    close(listener);
    return r;
  }

  std::string dir_, path_, uri_;
};

// ── Success ────────────────────────────────────────────────────────────

TEST_F(HvcatTest, NativeEchoOfALargeStreamDoesNotDeadlock) {
  std::string received;
  std::string input = hvsock::testing::PatternBytes(8 << 20, 1);
  Result r = RunAgainstPeer([&](int fd) { NativeEchoPeer(fd, &received); },
                            {uri_}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(r.out == input)
      << "output differs: " << r.out.size() << " bytes of " << input.size();
  EXPECT_TRUE(received == input);
}

TEST_F(HvcatTest, FramedEchoOfALargeStreamCompletesTheCloseHandshake) {
  std::string received;
  std::vector<uint32_t> control;
  std::string input = hvsock::testing::PatternBytes(3 << 20, 2);
  Result r = RunAgainstPeer(
      [&](int fd) { FramedEchoPeer(fd, 1000, &received, &control); },
      {"--protocol=framed", uri_}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == input) << r.out.size() << " of " << input.size();
  EXPECT_TRUE(received == input);
  EXPECT_EQ(control, std::vector<uint32_t>{kShutdownWrite});
}

TEST_F(HvcatTest, RegularFilesAsStandardStreams) {
  std::string received;
  std::string input = hvsock::testing::PatternBytes(2 << 20, 3);
  Result r = RunAgainstPeer([&](int fd) { NativeEchoPeer(fd, &received); },
                            {uri_}, input, /*use_files=*/true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == input);
}

TEST_F(HvcatTest, HalfCloseThePeerAnswersAfterOurEof) {
  Result r = RunAgainstPeer(
      [&](int fd) {
        std::string request;
        ReadToEof(fd, &request);  // our close arrives as EOF
        SendAll(fd, "got " + std::to_string(request.size()) + " bytes");
        shutdown(fd, SHUT_WR);
        std::string rest;
        ReadToEof(fd, &rest);
        close(fd);
      },
      {uri_}, "twelve bytes");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "got 12 bytes");
}

TEST_F(HvcatTest, FramedPeerThatEndsFirstGetsClose) {
  std::vector<uint32_t> control;
  // Standard input ends only once the peer's bytes have come out: they
  // arrived with the peer's ShutdownWrite in one segment, so hvcat knows the
  // peer has ended when it closes.
  Result r = RunAgainstPeer(
      [&](int fd) {
        SendAll(fd, Frame("hello ") + Frame("") + Frame("world") +
                        U32LE(kShutdownWrite));
        ReadFramesToEnd(fd, &control);
        close(fd);  // both ended: the transport may go
      },
      {"--protocol", "framed", uri_}, "", false,
      [](const std::string& out) { return out == "hello world"; });
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello world");
  // hvcat had seen the peer's ShutdownWrite, so its own end is Close.
  EXPECT_EQ(control, std::vector<uint32_t>{kClose});
}

TEST_F(HvcatTest, ListensAndAcceptsOneConnection) {
  std::string received;
  std::vector<uint32_t> control;
  std::string from_hvcat;
  std::thread peer([&] {
    int fd = ConnectWithRetry(path_);
    if (fd < 0) return;
    // A framed client: sends, ends, reads until hvcat's end.
    SendAll(fd, Frame("from the client") + U32LE(kShutdownWrite));
    from_hvcat = ReadFramesToEnd(fd, &control);
    close(fd);
  });
  Result r = RunHvcat({"-l", "--protocol=framed", uri_}, "from the server");
  peer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from the client");
  EXPECT_EQ(from_hvcat, "from the server");
  EXPECT_EQ(control.size(), 1u);
  struct stat info;
  EXPECT_NE(stat(path_.c_str(), &info), 0) << "socket file left behind";
}

TEST_F(HvcatTest, ASignalWhileListeningRemovesTheSocketFile) {
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    SCOPED_TRACE(strsignal(signal));
    ToolProcess hvcat(RunfilePath("tools/hvcat/hvcat"), {"-l", uri_});
    struct stat info;
    for (int i = 0; i < 1000 && stat(path_.c_str(), &info) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(stat(path_.c_str(), &info), 0) << "hvcat never listened";
    hvcat.Signal(signal);
    Result r = hvcat.Wait(kHvcatLimit);
    EXPECT_EQ(r.exit_code, 128 + signal) << r.err;  // still ended by it
    EXPECT_NE(stat(path_.c_str(), &info), 0) << "socket file left behind";
    unlink(path_.c_str());
  }
}

// ── Failures: exit status, one line on stderr, data before it kept ─────

TEST_F(HvcatTest, RefusedConnection) {
  int stale = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = UnixAddr(path_);
  ASSERT_EQ(bind(stale, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  Result r = RunHvcat({uri_}, "x");
  close(stale);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "hvcat: connect " + uri_ +
                       ": connection refused (nothing listens there)\n");
}

TEST_F(HvcatTest, ConnectTimeoutWithFractionalSeconds) {
  int listener = Listen(path_, /*backlog=*/0);
  std::vector<int> queued;  // fill the backlog; nobody accepts
  for (int i = 0; i < 64; ++i) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un addr = UnixAddr(path_);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      break;
    }
    queued.push_back(fd);
  }
  Result r = RunHvcat({"--connect-timeout=0.15", uri_}, "x");
  for (int fd : queued) close(fd);
  close(listener);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err,
              StartsWith("hvcat: connect " + uri_ + ": timed out after 150ms"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(HvcatTest, ResetKeepsTheDataBeforeIt) {
  // Standard input stays open until hvcat exits, so hvcat is still
  // reading when the reset comes.
  Result r = RunAgainstPeer(
      [&](int fd) {
        SendAll(fd, "partial");
        // Wait until hvcat's bytes are here, then close without reading them:
        // the kernel resets the connection.
        pollfd pfd{fd, POLLIN, 0};
        poll(&pfd, 1, kPeerTimeoutSeconds * 1000);
        close(fd);
      },
      {uri_}, std::string(100, 'x'));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "partial");
  EXPECT_THAT(r.err, StartsWith("hvcat: reset: "));
  EXPECT_THAT(r.err, HasSubstr("Connection reset by peer"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(HvcatTest, FramedStreamCutInTheMiddleOfAFrame) {
  Result r =
      RunAgainstPeer(SendingPeer(Frame("complete ") + U32LE(100) + "only ten b",
                                 /*end_writes=*/true),
                     {"--protocol=framed", uri_}, "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "complete only ten b");
  EXPECT_THAT(r.err, StartsWith("hvcat: truncated stream: "));
  EXPECT_THAT(r.err, HasSubstr("middle of a frame"));
}

TEST_F(HvcatTest, FramedStreamEndingWithoutItsMarker) {
  Result r = RunAgainstPeer(
      [&](int fd) {
        SendAll(fd, Frame("all of it?"));
        // Take hvcat's ShutdownWrite (its input is empty) before going, so the
        // close is an EOF without the marker, not a reset for unread data.
        std::string marker;
        ReadExact(fd, 4, &marker);
        close(fd);
      },
      {"--protocol=framed", uri_}, "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "all of it?");
  EXPECT_THAT(r.err, StartsWith("hvcat: truncated stream: "));
  EXPECT_THAT(r.err, HasSubstr("without the peer's end-of-writes marker"));
}

TEST_F(HvcatTest, ProtocolErrorNamesTheOffendingValue) {
  Result r = RunAgainstPeer(
      SendingPeer(Frame("ok") + U32LE(0x7fffffff), /*end_writes=*/false),
      {"--protocol=framed", uri_}, "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "ok");
  EXPECT_THAT(r.err, StartsWith("hvcat: protocol error: "));
  EXPECT_THAT(r.err, HasSubstr("2147483647"));
  EXPECT_THAT(r.err, HasSubstr("0x7fffffff"));
}

TEST_F(HvcatTest, CloseTimesOutWhenThePeerNeverEnds) {
  Result r = RunAgainstPeer(
      [&](int fd) {
        SendAll(fd, "still here");
        std::string request;
        ReadToEof(fd, &request);  // hvcat's end of writes...
        WaitForHangUp(fd);        // ...then hvcat gives up and closes
        close(fd);
      },
      {"--close-timeout=0.3", uri_}, "bye");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "still here");
  EXPECT_EQ(r.err,
            "hvcat: close timed out: close made no progress for 300ms (state "
            "CloseWait); "
            "the flow was aborted\n");
}

// ── Usage ──────────────────────────────────────────────────────────────

TEST_F(HvcatTest, UsageErrorsExitTwoWithOneLine) {
  Result bad_uri = RunHvcat({"vsock://2:port"}, "");
  EXPECT_EQ(bad_uri.exit_code, 2);
  EXPECT_THAT(bad_uri.err, HasSubstr("at column 11: port \"port\""));
  EXPECT_EQ(std::count(bad_uri.err.begin(), bad_uri.err.end(), '\n'), 1);

  Result bad_seconds = RunHvcat({"--close-timeout=soon", uri_}, "");
  EXPECT_EQ(bad_seconds.exit_code, 2);
  EXPECT_THAT(bad_seconds.err, HasSubstr("--close-timeout: \"soon\""));

  for (const char* option : {"--connect-timeout", "--close-timeout"}) {
    for (const char* value : {"0", "0s", "-1", "-2ms"}) {
      std::string arg = std::string(option) + "=" + value;
      Result zero = RunHvcat({arg, uri_}, "");
      EXPECT_EQ(zero.exit_code, 2) << arg;
      EXPECT_THAT(zero.err, HasSubstr(std::string(option) + ": \"" + value +
                                      "\" is not a positive duration"));
    }
  }

  Result protocol = RunHvcat({"--protocol=tcp", uri_}, "");
  EXPECT_EQ(protocol.exit_code, 2);

  Result none = RunHvcat({}, "");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("missing URI"));

  Result help = RunHvcat({"--help"}, "");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--protocol=native|framed"));
}

// hvsock:// is Windows' (Hyper-V sockets, hvcat.exe): on Linux hvcat says
// so, connecting or listening, instead of claiming not to know the scheme.
TEST_F(HvcatTest, AnHvsockUriSaysItNeedsWindows) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"hvsock://parent/5000"},
        std::vector<std::string>{"-l", "hvsock://wildcard/5000"}}) {
    Result r = RunHvcat(args, "");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("/5000 needs Windows (hvsock:// names a "
                                 "Hyper-V socket); on Linux the schemes are "
                                 "vsock://, unix://, hybrid-vsock:// and "
                                 "hyperkit://"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  }
}

}  // namespace
