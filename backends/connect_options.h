// ConnectOptions: how every backend's connect behaves, in one struct.
//
// The posix connectors (Connect, ConnectAsync) and the Winsock connector
// take these options, and ConnectRetryPolicy (retry_policy.h) gives them
// one meaning on every platform: `timeout` bounds the whole connect,
// retries included; with `retry_refused`, an attempt that finds nothing
// listening (or, for Hyper-V, the peer unreachable) is retried with
// exponential backoff until then.
//
// Thread-safety: a value type; thread-compatible.
#ifndef HVSOCK_BACKENDS_CONNECT_OPTIONS_H_
#define HVSOCK_BACKENDS_CONNECT_OPTIONS_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hvsock {

struct ConnectOptions {
  // The whole connect, retries included. Must be positive and finite.
  absl::Duration timeout = absl::Seconds(10);
  // Retry while refused (the listener is not up yet) or unreachable.
  bool retry_refused = false;
  // The first retry's delay, doubling per retry up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(10);
  absl::Duration max_backoff = absl::Seconds(1);
  // Each attempt is abandoned after this long, if sooner than the whole
  // timeout, and counts as unanswered (retried with retry_refused). For
  // transports where an attempt can hang: a Hyper-V connect issued before
  // the service listens blocks forever on some Windows builds. Infinite:
  // only the whole timeout bounds an attempt. Must be positive.
  absl::Duration attempt_timeout = absl::InfiniteDuration();
  // Called before each retry with the attempt number (1 for the first
  // failure) and why it failed. For logging, and for tests.
  std::function<void(int attempt, const absl::Status& why)> on_retry;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_CONNECT_OPTIONS_H_
