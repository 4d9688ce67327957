#include "tools/hvcat/copier.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/flow_error.h"
#include "tools/hvcat/exit.h"

namespace hvsock::hvcat {

int Copier::Run() {
  while (true) {
    bool progress = Pump();
    if (std::optional<int> status = Outcome(); status.has_value()) {
      return *status;
    }
    absl::Status waited = loop_.RunOnce(progress ? absl::ZeroDuration()
                                                 : absl::InfiniteDuration());
    if (!waited.ok()) {
      flow_.Abort();
      Complain(waited.message());
      return kExitFlowFailed;
    }
  }
}

// Moves what can be moved without waiting. Returns whether anything was.
bool Copier::Pump() {
  bool progress = false;
  // Standard input → flow. At most one chunk waits for the flow's send
  // queue, so memory stays bounded.
  for (int round = 0; round < 4 && !input_done_ && fatal_.ok(); ++round) {
    if (!pending_.empty()) {
      absl::Status status = flow_.Write(pending_);
      if (IsFlowError(status, FlowErrorKind::kWouldBlock)) break;
      if (!status.ok()) {
        // The flow refuses writes: it failed (reported from the read side)
        // or the peer stopped reading.
        if (!flow_.flow().IsFinished()) unsent_ = status;
        pending_.Clear();
        EndInput();
        progress = true;
        break;
      }
      pending_.Clear();
      progress = true;
    }
    absl::StatusOr<Transfer> read = in_.Read(kChunk, pending_);
    if (!read.ok()) {
      fatal_ = read.status();
    } else if (*read == Transfer::kMoved) {
      progress = true;
    } else if (*read == Transfer::kEnded) {
      EndInput();
      flow_.Close().IgnoreError();  // a failure shows on the read side
      progress = true;
    } else {
      break;
    }
  }
  // Flow → standard output, one chunk in hand at a time.
  for (int round = 0; round < 8 && fatal_.ok(); ++round) {
    if (out_buffer_.empty() && !read_ended_) {
      absl::StatusOr<ReadResult> result = flow_.Read(kChunk);
      if (!result.ok()) {
        read_error_ = result.status();
        read_ended_ = true;
      } else if (result->is_eof()) {
        read_ended_ = true;
      } else if (result->is_data()) {
        out_buffer_ = std::move(*result).data();
        progress = true;
      }
    }
    if (out_buffer_.empty()) break;
    absl::StatusOr<Transfer> written = out_.Write(out_buffer_);
    if (!written.ok()) {
      fatal_ = written.status();
    } else if (*written == Transfer::kMoved) {
      progress = true;
    } else {
      break;
    }
  }
  if (!input_done_) {
    if (absl::Status s = in_.SetWaiting(pending_.empty()); !s.ok()) {
      if (fatal_.ok()) fatal_ = s;
    }
  }
  if (absl::Status s = out_.SetWaiting(!out_buffer_.empty()); !s.ok()) {
    if (fatal_.ok()) fatal_ = s;
  }
  return progress;
}

void Copier::EndInput() {
  input_done_ = true;
  in_.Stop();
}

// The exit status once known.
std::optional<int> Copier::Outcome() {
  absl::StatusOr<bool> all_written = out_.AllWritten();
  if (!all_written.ok() && fatal_.ok()) fatal_ = all_written.status();
  if (!fatal_.ok()) {
    flow_.Abort();
    Complain(fatal_.message());
    return kExitFlowFailed;
  }
  if (!out_buffer_.empty() || !*all_written || !read_ended_) {
    return std::nullopt;
  }
  // Everything received has been written out.
  absl::Status error = read_error_;
  if (error.ok() && flow_.flow().state() == FlowState::kFailed) {
    error = flow_.flow().error();  // failed after the peer's Eof
  }
  if (!error.ok()) {
    Complain(FlowFailureMessage(error));
    return kExitFlowFailed;
  }
  if (flow_.flow().state() != FlowState::kClosed) return std::nullopt;
  if (!unsent_.ok()) {
    Complain(
        absl::StrCat("standard input was not all sent: ", unsent_.message()));
    return kExitFlowFailed;
  }
  return kExitOk;
}

}  // namespace hvsock::hvcat
