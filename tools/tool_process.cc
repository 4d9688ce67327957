#include "tools/tool_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"

namespace hvsock::testing {
namespace {

// Reads `fd` until end of file or an error, handing each piece to `append`,
// then closes `fd`.
void ReadPieces(int fd,
                const std::function<void(const char*, size_t)>& append) {
  char buffer[65536];
  while (true) {
    ssize_t r = read(fd, buffer, sizeof(buffer));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    append(buffer, static_cast<size_t>(r));
  }
  close(fd);
}

}  // namespace

std::string RunfilePath(const std::string& path_in_workspace) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return std::string(srcdir ? srcdir : ".") + "/" +
         (workspace ? workspace : "hvsock") + "/" + path_in_workspace;
}

void ReadAllFrom(int fd, std::string* out) {
  ReadPieces(fd, [out](const char* data, size_t n) { out->append(data, n); });
}

ToolProcess::ToolProcess(const std::string& path,
                         const std::vector<std::string>& args,
                         ToolStreams streams)
    : name_(path.substr(path.rfind('/') + 1)) {
  // Everything the child needs is made before the fork: between fork and
  // exec it may only make async-signal-safe calls.
  std::vector<std::string> argv_strings = {path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2] = {-1, streams.out};
  int err[2];
  if (streams.out < 0) {
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  }
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  pid_ = fork();
  if (pid_ < 0) ADD_FAILURE() << "fork: " << strerror(errno);
  if (pid_ == 0) {
    int in = streams.in >= 0 ? streams.in : open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (streams.in >= 0) close(streams.in);
  close(out[1]);
  close(err[1]);
  if (out[0] >= 0) {
    out_reader_ = std::thread([this, fd = out[0]] {
      ReadPieces(fd, [this](const char* data, size_t n) {
        std::lock_guard<std::mutex> lock(mutex_);
        out_.append(data, n);
        out_changed_.notify_all();
      });
      std::lock_guard<std::mutex> lock(mutex_);
      out_ended_ = true;
      out_changed_.notify_all();
    });
  } else {
    out_ended_ = true;
  }
  err_reader_ = std::thread([this, fd = err[0]] { ReadAllFrom(fd, &err_); });
}

ToolProcess::~ToolProcess() {
  if (waited_) return;
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (out_reader_.joinable()) out_reader_.join();
  err_reader_.join();
}

void ToolProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

void ToolProcess::WaitForOutput(
    const std::function<bool(const std::string&)>& done,
    std::chrono::steady_clock::duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  out_changed_.wait_for(lock, timeout,
                        [&] { return out_ended_ || done(out_); });
}

ToolResult ToolProcess::Wait(std::chrono::steady_clock::duration limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (pid_ > 0 && waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      ADD_FAILURE() << name_ << " did not finish in time; killed";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  waited_ = true;
  if (out_reader_.joinable()) out_reader_.join();
  err_reader_.join();
  ToolResult result;
  if (pid_ > 0) {
    result.exit_code =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    result.out = std::move(out_);
  }
  result.err = std::move(err_);
  return result;
}

}  // namespace hvsock::testing
