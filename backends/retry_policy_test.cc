#include "backends/retry_policy.h"

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const absl::Time kStart = absl::FromUnixSeconds(1000);
constexpr char kUri[] = "vsock://3:1234";

ConnectOptions Retrying(absl::Duration timeout = absl::Seconds(1)) {
  ConnectOptions options;
  options.timeout = timeout;
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(40);
  return options;
}

ConnectRetryPolicy MakePolicy(const ConnectOptions& options) {
  absl::StatusOr<ConnectRetryPolicy> policy =
      ConnectRetryPolicy::Create(kUri, options, kStart);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *std::move(policy);
}

absl::Status FinalStatus(const std::variant<absl::Status, absl::Time>& r) {
  EXPECT_TRUE(std::holds_alternative<absl::Status>(r)) << "a retry was planned";
  return std::holds_alternative<absl::Status>(r) ? std::get<absl::Status>(r)
                                                 : absl::OkStatus();
}

absl::Time RetryAt(const std::variant<absl::Status, absl::Time>& r) {
  EXPECT_TRUE(std::holds_alternative<absl::Time>(r))
      << "the connect ended: " << std::get<absl::Status>(r);
  return std::holds_alternative<absl::Time>(r) ? std::get<absl::Time>(r)
                                               : absl::InfinitePast();
}

TEST(ConnectRetryPolicy, RefusesATimeoutThatIsNotPositiveAndFinite) {
  for (absl::Duration bad :
       {absl::ZeroDuration(), absl::Seconds(-1), absl::InfiniteDuration()}) {
    ConnectOptions options;
    options.timeout = bad;
    absl::StatusOr<ConnectRetryPolicy> policy =
        ConnectRetryPolicy::Create(kUri, options, kStart);
    ASSERT_FALSE(policy.ok());
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(policy.status().message(),
                HasSubstr("the timeout must be positive and finite"));
    EXPECT_THAT(std::string(policy.status().message()),
                StartsWith("connect vsock://3:1234"));
  }
}

TEST(ConnectRetryPolicy, TheDeadlineIsTheStartPlusTheWholeTimeout) {
  ConnectRetryPolicy policy = MakePolicy(Retrying(absl::Seconds(3)));
  EXPECT_EQ(policy.deadline(), kStart + absl::Seconds(3));
}

TEST(ConnectRetryPolicy, WithoutRetriesARefusalEndsTheConnectAtOnce) {
  ConnectOptions options;
  ConnectRetryPolicy policy = MakePolicy(options);
  policy.AttemptStarted();
  absl::Status status =
      FinalStatus(policy.AttemptFailed(ConnectFailure::kRefused, kStart));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(),
            "connect vsock://3:1234: connection refused (nothing listens "
            "there)");
}

TEST(ConnectRetryPolicy, EachFailureHasItsOwnCodeAndWords) {
  struct Case {
    ConnectFailure failure;
    absl::StatusCode code;
    const char* words;
  };
  for (const Case& c : std::vector<Case>{
           {ConnectFailure::kRefused, absl::StatusCode::kUnavailable,
            "connection refused"},
           {ConnectFailure::kUnreachable, absl::StatusCode::kUnavailable,
            "unreachable"},
           {ConnectFailure::kNoSocketFile, absl::StatusCode::kNotFound,
            "no socket file at that path"},
           {ConnectFailure::kTimedOut, absl::StatusCode::kDeadlineExceeded,
            "timed out after 10s"}}) {
    ConnectRetryPolicy policy = MakePolicy(ConnectOptions{});
    policy.AttemptStarted();
    absl::Status status = FinalStatus(policy.AttemptFailed(c.failure, kStart));
    EXPECT_EQ(status.code(), c.code) << status;
    EXPECT_THAT(status.message(), HasSubstr(c.words));
  }
}

TEST(ConnectRetryPolicy, RetriesRefusalsWithABackoffThatDoublesUpToTheMaximum) {
  std::vector<int> retried_attempts;
  ConnectOptions options = Retrying();
  options.on_retry = [&](int attempt, const absl::Status& why) {
    retried_attempts.push_back(attempt);
    EXPECT_EQ(why.code(), absl::StatusCode::kUnavailable);
  };
  ConnectRetryPolicy policy = MakePolicy(options);
  absl::Time now = kStart;
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 5; ++i) {
    policy.AttemptStarted();
    absl::Time at =
        RetryAt(policy.AttemptFailed(ConnectFailure::kRefused, now));
    delays.push_back(at - now);
    now = at;
  }
  EXPECT_THAT(delays,
              ElementsAre(absl::Milliseconds(10), absl::Milliseconds(20),
                          absl::Milliseconds(40), absl::Milliseconds(40),
                          absl::Milliseconds(40)));
  EXPECT_THAT(retried_attempts, ElementsAre(1, 2, 3, 4, 5));
}

TEST(ConnectRetryPolicy, NoRetryIsPlannedPastTheDeadline) {
  ConnectRetryPolicy policy = MakePolicy(Retrying(absl::Milliseconds(15)));
  policy.AttemptStarted();
  absl::Time now = kStart + absl::Milliseconds(10);
  EXPECT_EQ(RetryAt(policy.AttemptFailed(ConnectFailure::kUnreachable, now)),
            kStart + absl::Milliseconds(15));
}

TEST(ConnectRetryPolicy,
     ARefusalAtTheDeadlineEndsAsATimeoutNamingTheLastReason) {
  ConnectRetryPolicy policy = MakePolicy(Retrying());
  policy.AttemptStarted();
  policy.AttemptStarted();
  absl::Status status = FinalStatus(
      policy.AttemptFailed(ConnectFailure::kRefused, policy.deadline()));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(status.message(),
            "connect vsock://3:1234: timed out after 1s (2 attempts; the "
            "last: connection refused (nothing listens there))");
}

TEST(ConnectRetryPolicy, ATimeoutCountsTheRefusalsBeforeIt) {
  ConnectRetryPolicy policy = MakePolicy(Retrying());
  policy.AttemptStarted();
  RetryAt(policy.AttemptFailed(ConnectFailure::kRefused, kStart));
  policy.AttemptStarted();
  absl::Status status = FinalStatus(
      policy.AttemptFailed(ConnectFailure::kTimedOut, policy.deadline()));
  EXPECT_EQ(status.message(),
            "connect vsock://3:1234: timed out after 1s (1 attempts refused)");
}

TEST(ConnectRetryPolicy, AFullBacklogIsRetriedEvenWithoutRetryRefused) {
  ConnectRetryPolicy policy = MakePolicy(ConnectOptions{});
  policy.AttemptStarted();
  EXPECT_EQ(RetryAt(policy.AttemptFailed(ConnectFailure::kBacklogFull, kStart)),
            kStart + absl::Milliseconds(10));
}

TEST(ConnectRetryPolicy, AFailureAfterARetryNamesItsAttempt) {
  ConnectRetryPolicy policy = MakePolicy(ConnectOptions{});
  policy.AttemptStarted();
  RetryAt(policy.AttemptFailed(ConnectFailure::kBacklogFull, kStart));
  policy.AttemptStarted();
  absl::Status status =
      FinalStatus(policy.AttemptFailed(ConnectFailure::kRefused, kStart));
  EXPECT_EQ(status.message(),
            "connect vsock://3:1234: connection refused (nothing listens "
            "there) (attempt 2)");
}

TEST(ConnectRetryPolicy, OtherFailuresKeepThePlatformsCodeAndAreNeverRetried) {
  ConnectRetryPolicy policy = MakePolicy(Retrying());
  policy.AttemptStarted();
  absl::Status status = FinalStatus(
      policy.AttemptFailed(ConnectFailure::kOther, kStart,
                           absl::PermissionDeniedError("Permission denied")));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "connect vsock://3:1234: Permission denied");
}

TEST(ConnectRetryPolicy,
     AnAttemptIsAbandonedAtItsOwnTimeoutButNeverPastTheDeadline) {
  ConnectOptions options = Retrying(absl::Seconds(1));
  EXPECT_EQ(MakePolicy(options).AttemptDeadline(kStart + absl::Seconds(0.5)),
            kStart + absl::Seconds(1));  // no attempt timeout: the deadline
  options.attempt_timeout = absl::Milliseconds(300);
  ConnectRetryPolicy policy = MakePolicy(options);
  EXPECT_EQ(policy.AttemptDeadline(kStart), kStart + absl::Milliseconds(300));
  EXPECT_EQ(policy.AttemptDeadline(kStart + absl::Milliseconds(900)),
            kStart + absl::Seconds(1));
}

TEST(ConnectRetryPolicy,
     AnAttemptTimedOutBeforeTheDeadlineIsRetriedAndSaysWhy) {
  ConnectOptions options = Retrying(absl::Seconds(1));
  options.attempt_timeout = absl::Milliseconds(300);
  std::vector<std::string> reasons;
  options.on_retry = [&](int, const absl::Status& why) {
    reasons.push_back(std::string(why.message()));
  };
  ConnectRetryPolicy policy = MakePolicy(options);
  policy.AttemptStarted();
  RetryAt(policy.AttemptFailed(ConnectFailure::kTimedOut,
                               kStart + absl::Milliseconds(300)));
  EXPECT_THAT(reasons, ElementsAre("connect vsock://3:1234: no answer within "
                                   "the attempt timeout (300ms)"));
  // At the deadline, the same failure ends the connect.
  policy.AttemptStarted();
  absl::Status status = FinalStatus(
      policy.AttemptFailed(ConnectFailure::kTimedOut, policy.deadline()));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(ConnectRetryPolicy, RefusesAnAttemptTimeoutThatIsNotPositive) {
  ConnectOptions options;
  options.attempt_timeout = absl::ZeroDuration();
  absl::StatusOr<ConnectRetryPolicy> policy =
      ConnectRetryPolicy::Create(kUri, options, kStart);
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(policy.status().message(),
              HasSubstr("the attempt timeout must be positive"));
}

TEST(ConnectRetryPolicy, AnnotatePutsTheUriInFront) {
  ConnectRetryPolicy policy = MakePolicy(ConnectOptions{});
  absl::Status status =
      policy.Annotate(absl::ResourceExhaustedError("out of sockets"));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "connect vsock://3:1234: out of sockets");
}

TEST(ConnectRetryPolicy,
     ATransportsOwnWordsAreUsedForRetriesAndTheFinalStatus) {
  ConnectOptions options = Retrying(absl::Milliseconds(100));
  std::vector<std::string> retried;
  options.on_retry = [&](int, const absl::Status& why) {
    retried.push_back(std::string(why.message()));
  };
  ConnectRetryPolicy policy = MakePolicy(options);
  policy.AttemptStarted();
  absl::Time retry_at = RetryAt(policy.AttemptFailed(
      ConnectFailure::kRefused, kStart, FailureWords{"the door is shut", {}}));
  EXPECT_EQ(retry_at, kStart + absl::Milliseconds(10));
  policy.AttemptStarted();
  // The policy still decides: its deadline ends the connect, in the words
  // of the failure, keeping its code and counting the attempts.
  absl::Status status = FinalStatus(policy.AttemptFailed(
      ConnectFailure::kNoSocketFile, kStart + absl::Milliseconds(100),
      FailureWords{"no door at all", {}}));
  EXPECT_THAT(retried, ElementsAre("connect vsock://3:1234: the door is shut"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "connect vsock://3:1234: no door at all (2 attempts in 100ms)");
}

TEST(ConnectRetryPolicy, ATransportCanSayHowItsTimeRanOut) {
  ConnectRetryPolicy policy = MakePolicy(Retrying(absl::Milliseconds(100)));
  policy.AttemptStarted();
  FailureWords words{"refused", [](absl::string_view tally) {
                       return absl::StrCat("refused (by the host; ", tally,
                                           ")");
                     }};
  absl::Time retry_at = RetryAt(policy.AttemptFailed(
      ConnectFailure::kRefused, kStart + absl::Milliseconds(95), words));
  // The backoff reaches the deadline: the time ran out between attempts.
  EXPECT_EQ(retry_at, kStart + absl::Milliseconds(100));
  absl::Status status = policy.TimeRanOut();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(),
            "connect vsock://3:1234: refused (by the host; 1 attempt in "
            "100ms)");
}

TEST(ConnectRetryPolicy, ATransportsWordsAreNotRetriedWithoutRetryRefused) {
  ConnectOptions options = Retrying();
  options.retry_refused = false;
  ConnectRetryPolicy policy = MakePolicy(options);
  policy.AttemptStarted();
  absl::Status status = FinalStatus(policy.AttemptFailed(
      ConnectFailure::kRefused, kStart, FailureWords{"the door is shut", {}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "connect vsock://3:1234: the door is shut");
}

TEST(ConnectRetryPolicy, TimeRanOutWithoutATransportsWordsIsATimeout) {
  ConnectRetryPolicy policy = MakePolicy(Retrying(absl::Milliseconds(100)));
  policy.AttemptStarted();
  RetryAt(policy.AttemptFailed(ConnectFailure::kRefused, kStart));
  absl::Status status = policy.TimeRanOut();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(status.message(), HasSubstr("the last: connection refused"));
}

}  // namespace
}  // namespace hvsock
