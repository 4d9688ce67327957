#include "backends/loop.h"

#include "absl/strings/str_cat.h"

namespace hvsock {

absl::Status Loop::RunUntil(const std::function<bool()>& done,
                            absl::Duration limit) {
  const absl::Time give_up = limit == absl::InfiniteDuration()
                                 ? absl::InfiniteFuture()
                                 : Now() + limit;
  while (!done()) {
    const absl::Time now = Now();
    if (now >= give_up) {
      return absl::DeadlineExceededError(absl::StrCat(
          "Loop::RunUntil: not done after ", absl::FormatDuration(limit)));
    }
    absl::Status pass = RunOnce(give_up - now);
    if (!pass.ok()) return pass;
  }
  return absl::OkStatus();
}

}  // namespace hvsock
