// ConnectRetryPolicy: the one retry policy and the one set of error
// messages for a connect, shared by every backend's connector.
//
// Pure: no IO and no clock (time is an argument), so it is tested on any
// platform. A connector starts an attempt, tells the policy how it failed
// in platform-independent words (ConnectFailure: the posix connectors map
// errno values, the Winsock connector WSA errors), and the policy answers
// with the connect's final status or the time to start the next attempt:
//
//   kRefused       nothing listens there              Unavailable, retried
//                                                     with retry_refused
//   kUnreachable   the peer (VM) cannot be reached    Unavailable, retried
//                                                     with retry_refused
//   kNoSocketFile  no Unix socket file at the path    NotFound, retried
//                                                     with retry_refused
//   kBacklogFull   the listener's queue is full       Unavailable, always
//                                                     retried (a blocking
//                                                     connect would wait)
//   kTimedOut      the attempt's time ran out         DeadlineExceeded; but
//                                                     before the deadline,
//                                                     with an attempt
//                                                     timeout set, it is
//                                                     "no answer": Unavailable,
//                                                     retried with
//                                                     retry_refused
//   kOther         anything else (the platform's      its own code, never
//                  status, passed in)                 retried
//
// Backoff starts at initial_backoff (at least 1 ms) and doubles per retry
// up to max_backoff; no retry is scheduled past the deadline (now +
// timeout at Create). A retryable failure at or after the deadline ends
// the connect as timed out, naming the attempts and the last reason. Every
// status starts with "connect <uri>: ", the same words on every platform.
//
// A transport with its own words for a retryable failure (the hybrid vsock
// connector: "nothing listens on the VMM socket ...", the VMM's refusal)
// passes them as FailureWords: they replace the policy's reason in the
// attempt's status and on_retry, and once time runs out the final status
// keeps that failure's code (not DeadlineExceeded) and says what the words
// say with the tally "<N> attempts in <timeout>". The policy still decides
// retry, backoff and deadline.
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_RETRY_POLICY_H_
#define HVSOCK_BACKENDS_RETRY_POLICY_H_

#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backends/connect_options.h"

namespace hvsock {

// How one connect attempt failed, in words every platform shares.
enum class ConnectFailure {
  kRefused,
  kUnreachable,
  kNoSocketFile,
  kBacklogFull,
  kTimedOut,
  kOther,
};

// A transport's own words for a retryable failure (see above).
struct FailureWords {
  // What failed, e.g. "nothing listens on the VMM socket /run/v.sock".
  std::string reason;
  // The final words once the connect's time has run out, given the tally
  // ("3 attempts in 300ms"). Unset: "<reason> (<tally>)".
  std::function<std::string(absl::string_view tally)> exhausted;
};

class ConnectRetryPolicy {
 public:
  // Fails with InvalidArgument, naming `uri`, for a timeout that is not
  // positive and finite, or an attempt timeout that is not positive. `now`
  // starts the timeout.
  static absl::StatusOr<ConnectRetryPolicy> Create(
      std::string uri, const ConnectOptions& options, absl::Time now);

  const std::string& uri() const { return uri_; }
  absl::Duration timeout() const { return options_.timeout; }
  absl::Time deadline() const { return deadline_; }
  int attempts() const { return attempts_; }

  // The next attempt starts (counts it).
  void AttemptStarted() { ++attempts_; }
  // When an attempt that starts at `start` is abandoned (then it failed
  // with kTimedOut): the connect's deadline, or sooner with
  // options.attempt_timeout.
  absl::Time AttemptDeadline(absl::Time start) const;

  // The attempt failed. For kOther, `other` is the platform's status for
  // it (its code is kept, its message follows the URI). Returns the
  // connect's final status, or the time to start the next attempt at,
  // having called options.on_retry first.
  std::variant<absl::Status, absl::Time> AttemptFailed(
      ConnectFailure failure, absl::Time now,
      const absl::Status& other = absl::OkStatus());
  // The same, for a retryable failure said in the transport's `words`
  // (kOther and kTimedOut have no such words: they are ignored there).
  std::variant<absl::Status, absl::Time> AttemptFailed(ConnectFailure failure,
                                                       absl::Time now,
                                                       FailureWords words);

  // The connect's final status when its time has run out between attempts
  // (a backoff reached the deadline): timed out, in the words of the last
  // retried failure.
  absl::Status TimeRanOut() const;

  // A status from outside the policy (socket creation, the loop), with
  // "connect <uri>: " in front.
  absl::Status Annotate(const absl::Status& status) const;

 private:
  ConnectRetryPolicy(std::string uri, const ConnectOptions& options,
                     absl::Time now);
  absl::Status TimedOut(absl::string_view last_reason) const;
  // The status of a retryable failure with code `code` and reason
  // `reason`, and the time of the next attempt if it is retried.
  std::variant<absl::Status, absl::Time> Retryable(absl::StatusCode code,
                                                   absl::string_view reason,
                                                   bool retry, absl::Time now);

  std::string uri_;
  ConnectOptions options_;
  absl::Time deadline_;
  absl::Duration backoff_;
  int attempts_ = 0;
  int refused_ = 0;
  // The last retried failure, for the final status once time runs out.
  std::string last_reason_;
  absl::StatusCode last_code_ = absl::StatusCode::kOk;
  std::optional<FailureWords> last_words_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_RETRY_POLICY_H_
