// A command-line tool under test, run as a child process for end-to-end
// tests (POSIX; testonly): the binary from the test's runfiles, standard
// input from a descriptor the test chooses, standard output and standard
// error collected by threads, and a bounded wait for the exit that kills the
// tool past its time limit and fails the test.
//
// Thread-safety: WaitForOutput may be called from any thread (typically one
// feeding standard input) while another calls Wait; everything else from
// the thread that made the ToolProcess.
#ifndef HVSOCK_TOOLS_TOOL_PROCESS_H_
#define HVSOCK_TOOLS_TOOL_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hvsock::testing {

// What a tool did: its exit status (128 + N when a signal N ended it) and
// everything it wrote.
struct ToolResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A binary built in this workspace, in the test's runfiles:
// RunfilePath("tools/hvcat").
std::string RunfilePath(const std::string& path_in_workspace);

// Appends what `fd` gives until end of file or an error, then closes `fd`.
void ReadAllFrom(int fd, std::string* out);

// Descriptors to become a tool's standard input and output. The
// ToolProcess closes them once the tool has its copies. -1: /dev/null for
// input; for output, a pipe collected into ToolResult::out.
struct ToolStreams {
  int in = -1;
  int out = -1;
};

class ToolProcess {
 public:
  // Starts `path` with `args` (argv[0] is `path`). Standard error always
  // goes to a pipe collected into ToolResult::err.
  ToolProcess(const std::string& path, const std::vector<std::string>& args,
              ToolStreams streams = {});
  ToolProcess(const ToolProcess&) = delete;
  ToolProcess& operator=(const ToolProcess&) = delete;
  // Kills and reaps a tool that was not waited for.
  ~ToolProcess();

  void Signal(int signal);

  // Blocks until the standard output collected so far satisfies `done`, the
  // output has ended, or `timeout` has passed. At once when standard output
  // is the test's descriptor (ToolStreams::out).
  void WaitForOutput(const std::function<bool(const std::string&)>& done,
                     std::chrono::steady_clock::duration timeout);

  // Waits for the exit, killing the tool (a test failure) once `limit` has
  // passed, and returns what it did. Call once.
  ToolResult Wait(std::chrono::steady_clock::duration limit);

 private:
  std::string name_;  // for the failure message
  pid_t pid_ = -1;
  bool waited_ = false;
  std::thread out_reader_, err_reader_;
  std::string err_;

  std::mutex mutex_;  // guards out_ and out_ended_
  std::condition_variable out_changed_;
  std::string out_;
  bool out_ended_ = false;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_TOOLS_TOOL_PROCESS_H_
