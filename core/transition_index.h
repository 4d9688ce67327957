// TransitionIndex: where a state table keeps the row for each (state, input)
// pair, built at compile time from the table itself, so that finding a
// transition (several times per write, per received piece, per frame) is an
// index, not a search. The first row for a pair wins, as a search would.
// The flow's table (flow_state.cc) and the multiplexer channel's
// (mux/mux_channel_state.cc) use it; the table stays the one truth.
//
// A table is an array of rows with `from` and `input` members, both enums
// numbered from 0 below kStates and kInputs. Plain constexpr value type.
#ifndef HVSOCK_CORE_TRANSITION_INDEX_H_
#define HVSOCK_CORE_TRANSITION_INDEX_H_

#include <cstddef>
#include <cstdint>

namespace hvsock {

template <int kStates, int kInputs>
class TransitionIndex {
 public:
  template <typename Row, size_t kRows>
  constexpr explicit TransitionIndex(const Row (&table)[kRows]) : row_{} {
    static_assert(kRows < INT16_MAX, "row numbers are kept as int16_t");
    for (auto& inputs : row_) {
      for (int16_t& row : inputs) row = -1;
    }
    for (size_t i = 0; i < kRows; ++i) {
      int16_t& row = row_[static_cast<int>(table[i].from)]
                         [static_cast<int>(table[i].input)];
      if (row < 0) row = static_cast<int16_t>(i);
    }
  }

  // The table's row for (state, input), or -1 when it has none (and for a
  // value outside the enums).
  template <typename State, typename Input>
  constexpr int Find(State state, Input input) const {
    const int s = static_cast<int>(state);
    const int i = static_cast<int>(input);
    if (s < 0 || s >= kStates || i < 0 || i >= kInputs) return -1;
    return row_[s][i];
  }

 private:
  int16_t row_[kStates][kInputs];
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_TRANSITION_INDEX_H_
