// Stopwatch: wall-clock seconds for the benchmarks' manual timing.
//
// Benchmarks that measure a flow and its raw baseline in the same iteration
// time each part themselves (steady clock, so a clock adjustment cannot
// skew a ratio) and hand Google Benchmark only the flow's part.
#ifndef HVSOCK_BENCH_STOPWATCH_H_
#define HVSOCK_BENCH_STOPWATCH_H_

#include <chrono>

namespace hvsock::testing {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Runs `work` and returns how long it took, in seconds.
template <typename Work>
double Time(Work&& work) {
  Stopwatch stopwatch;
  work();
  return stopwatch.Seconds();
}

}  // namespace hvsock::testing

#endif  // HVSOCK_BENCH_STOPWATCH_H_
