#include "backends/retry_policy.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hvsock {

absl::StatusOr<ConnectRetryPolicy> ConnectRetryPolicy::Create(
    std::string uri, const ConnectOptions& options, absl::Time now) {
  if (options.timeout <= absl::ZeroDuration() ||
      options.timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("connect ", uri,
                     ": the timeout must be positive and "
                     "finite (got ",
                     absl::FormatDuration(options.timeout), ")"));
  }
  if (options.attempt_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("connect ", uri,
                     ": the attempt timeout must be "
                     "positive (got ",
                     absl::FormatDuration(options.attempt_timeout), ")"));
  }
  return ConnectRetryPolicy(std::move(uri), options, now);
}

absl::Time ConnectRetryPolicy::AttemptDeadline(absl::Time start) const {
  if (options_.attempt_timeout == absl::InfiniteDuration()) return deadline_;
  return std::min(start + options_.attempt_timeout, deadline_);
}

ConnectRetryPolicy::ConnectRetryPolicy(std::string uri,
                                       const ConnectOptions& options,
                                       absl::Time now)
    : uri_(std::move(uri)),
      options_(options),
      deadline_(now + options.timeout),
      backoff_(std::max(options.initial_backoff, absl::Milliseconds(1))) {}

absl::Status ConnectRetryPolicy::TimedOut(absl::string_view last_reason) const {
  if (last_reason.empty()) {
    return absl::DeadlineExceededError(absl::StrCat(
        "connect ", uri_, ": timed out after ",
        absl::FormatDuration(options_.timeout),
        refused_ > 0 ? absl::StrCat(" (", refused_, " attempts refused)")
                     : ""));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("connect ", uri_, ": timed out after ",
                   absl::FormatDuration(options_.timeout), " (", attempts_,
                   " attempts; the last: ", last_reason, ")"));
}

std::variant<absl::Status, absl::Time> ConnectRetryPolicy::AttemptFailed(
    ConnectFailure failure, absl::Time now, const absl::Status& other) {
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  absl::string_view reason;
  std::string unanswered;  // reason's text for an unanswered attempt
  bool retry = options_.retry_refused;
  switch (failure) {
    case ConnectFailure::kTimedOut:
      if (now >= deadline_ ||
          options_.attempt_timeout == absl::InfiniteDuration()) {
        return TimedOut("");
      }
      ++refused_;
      unanswered =
          absl::StrCat("no answer within the attempt timeout (",
                       absl::FormatDuration(options_.attempt_timeout), ")");
      reason = unanswered;
      break;
    case ConnectFailure::kRefused:
      ++refused_;
      reason = "connection refused (nothing listens there)";
      break;
    case ConnectFailure::kUnreachable:
      ++refused_;
      reason = "the peer is unreachable (is the VM running?)";
      break;
    case ConnectFailure::kNoSocketFile:
      ++refused_;
      code = absl::StatusCode::kNotFound;
      reason = "no socket file at that path";
      break;
    case ConnectFailure::kBacklogFull:
      reason = "the listener's backlog is full";
      retry = true;  // a blocking connect would have waited
      break;
    case ConnectFailure::kOther:
      return Annotate(
          other.ok() ? absl::UnknownError("failed without saying why") : other);
  }
  last_words_.reset();
  return Retryable(code, reason, retry, now);
}

std::variant<absl::Status, absl::Time> ConnectRetryPolicy::AttemptFailed(
    ConnectFailure failure, absl::Time now, FailureWords words) {
  if (failure == ConnectFailure::kOther ||
      failure == ConnectFailure::kTimedOut) {
    return AttemptFailed(failure, now);
  }
  bool retry = options_.retry_refused;
  if (failure == ConnectFailure::kBacklogFull) {
    retry = true;  // a blocking connect would have waited
  } else {
    ++refused_;
  }
  const absl::StatusCode code = failure == ConnectFailure::kNoSocketFile
                                    ? absl::StatusCode::kNotFound
                                    : absl::StatusCode::kUnavailable;
  last_words_ = std::move(words);
  return Retryable(code, std::string(last_words_->reason), retry, now);
}

std::variant<absl::Status, absl::Time> ConnectRetryPolicy::Retryable(
    absl::StatusCode code, absl::string_view reason, bool retry,
    absl::Time now) {
  const std::string attempts =
      attempts_ > 1 ? absl::StrCat(" (attempt ", attempts_, ")") : "";
  absl::Status why(code,
                   absl::StrCat("connect ", uri_, ": ", reason, attempts));
  if (!retry) return why;
  last_code_ = code;
  last_reason_ = std::string(reason);
  if (now >= deadline_) return TimeRanOut();
  if (options_.on_retry) options_.on_retry(attempts_, why);
  absl::Time retry_at = std::min(now + backoff_, deadline_);
  backoff_ = std::min(backoff_ * 2, std::max(options_.max_backoff, backoff_));
  return retry_at;
}

absl::Status ConnectRetryPolicy::TimeRanOut() const {
  if (!last_words_.has_value()) return TimedOut(last_reason_);
  const std::string tally =
      absl::StrCat(attempts_, attempts_ == 1 ? " attempt" : " attempts", " in ",
                   absl::FormatDuration(options_.timeout));
  return absl::Status(
      last_code_,
      absl::StrCat("connect ", uri_, ": ",
                   last_words_->exhausted
                       ? last_words_->exhausted(tally)
                       : absl::StrCat(last_reason_, " (", tally, ")")));
}

absl::Status ConnectRetryPolicy::Annotate(const absl::Status& status) const {
  return absl::Status(status.code(),
                      absl::StrCat("connect ", uri_, ": ", status.message()));
}

}  // namespace hvsock
