// The benchmarking kit (include/cutrain/bench): report_work's counters run
// through Google Benchmark itself (fixed iterations, manual time, a reporter
// that keeps the runs), the roofline fraction against hand-computed values,
// median_ms, and HostTimer against a sleep.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "cutrain/bench/counters.h"
#include "cutrain/bench/timer.h"

namespace {

using namespace cutrain;
using benchmark::BenchmarkReporter;
using benchmark::Counter;

class KeepRuns : public BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override { runs_.insert(runs_.end(), runs.begin(), runs.end()); }
  std::vector<Run> runs_;
};

// Runs `body` as the only registered benchmark, `iterations` times with
// manual time, and returns its report.
BenchmarkReporter::Run run_benchmark(const std::string& name, std::function<void(benchmark::State&)> body,
                                     int iterations) {
  benchmark::ClearRegisteredBenchmarks();
  benchmark::RegisterBenchmark(name.c_str(), body)->Iterations(iterations)->UseManualTime();
  KeepRuns reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter, "^" + name + "/");
  benchmark::ClearRegisteredBenchmarks();
  if (reporter.runs_.size() != 1) {
    ADD_FAILURE() << name << ": expected one run, got " << reporter.runs_.size();
    return {};
  }
  return reporter.runs_[0];
}

const Counter& counter(const BenchmarkReporter::Run& run, const std::string& name) {
  static const Counter kMissing(std::numeric_limits<double>::quiet_NaN());
  const auto it = run.counters.find(name);
  if (it == run.counters.end()) {
    ADD_FAILURE() << "no counter '" << name << "'";
    return kMissing;
  }
  return it->second;
}

// Ceilings 4000 B/s and 200 FLOP/s; one iteration moves 1000 bytes (0.25 s
// at the memory ceiling) and does 100 FLOP (0.5 s at the compute ceiling):
// compute binds, 0.5 s at the roof. Each iteration "takes" 0.8 s (manual
// time, nothing sleeps), so the fraction is 0.5 / 0.8 = 0.625; over 4
// iterations (3.2 s) the rates are 4000 / 3.2 = 1250 B/s and 400 / 3.2 = 125
// FLOP/s.
TEST(ReportWork, RatesAndRooflineFraction) {
  const bench::Roofline roofline{4000, 200};
  double seconds = 0;
  const auto run = run_benchmark(
      "kit_rates",
      [&](benchmark::State& state) {
        seconds = bench::time_manual(state, [] { return 0.8; });
        bench::report_work(state, 1000, 100, &roofline, seconds);
      },
      4);
  EXPECT_EQ(run.iterations, 4);
  EXPECT_DOUBLE_EQ(seconds, 3.2);
  EXPECT_NEAR(run.real_accumulated_time, 3.2, 1e-12);  // the library's time is the sum we returned

  const Counter& bytes = counter(run, "bytes_per_second");
  EXPECT_NEAR(bytes.value, 1250, 1e-9);
  EXPECT_EQ(bytes.flags, Counter::kIsRate);
  const Counter& flops = counter(run, "flops_per_second");
  EXPECT_NEAR(flops.value, 125, 1e-9);
  EXPECT_EQ(flops.flags, Counter::kIsRate);
  // A plain number (no rate flag: printed without "/s").
  const Counter& fraction = counter(run, "roofline");
  EXPECT_NEAR(fraction.value, 0.625, 1e-12);
  EXPECT_EQ(fraction.flags, Counter::kDefaults);
  // The binding ceiling's share of the rates is the same number.
  EXPECT_NEAR(std::max(bytes.value / roofline.bytes_per_second, flops.value / roofline.flops_per_second),
              fraction.value, 1e-12);
}

// Without a roofline only the rates; work counted as 0 sets no counter.
TEST(ReportWork, NoRooflineAndUncountedWorkSetNoCounter) {
  const auto run = run_benchmark(
      "kit_no_roofline",
      [](benchmark::State& state) {
        const double s = bench::time_manual(state, [] { return 0.5; });
        bench::report_work(state, 64, 0, nullptr, s);
      },
      2);
  EXPECT_NEAR(counter(run, "bytes_per_second").value, 64.0 * 2 / 1.0, 1e-9);
  EXPECT_EQ(run.counters.count("flops_per_second"), 0u);
  EXPECT_EQ(run.counters.count("roofline"), 0u);
}

// A bandwidth-only roofline: memory binds whatever the FLOP count.
TEST(ReportWork, BandwidthOnlyRoofline) {
  const bench::Roofline stream_only{1e9, 0};
  const auto run = run_benchmark(
      "kit_bandwidth_only",
      [&](benchmark::State& state) {
        const double s = bench::time_manual(state, [] { return 1e-3; });
        bench::report_work(state, 4e5, 1e9, &stream_only, s);  // 0.4 ms at 1 GB/s, measured 1 ms
      },
      3);
  EXPECT_NEAR(counter(run, "roofline").value, 0.4, 1e-12);
}

TEST(ReportWork, RejectsNegativeAndNonFiniteWork) {
  std::vector<std::string> messages;
  const auto expect_error = [&](benchmark::State& state, double bytes, double flops) {
    try {
      bench::report_work(state, bytes, flops);
      messages.push_back("no error");
    } catch (const Error& e) {
      messages.push_back(e.what());
    }
  };
  run_benchmark(
      "kit_bad_work",
      [&](benchmark::State& state) {
        for (auto _ : state) state.SetIterationTime(1e-3);
        expect_error(state, -1, 0);
        expect_error(state, 0, std::numeric_limits<double>::infinity());
      },
      1);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_NE(messages[0].find("report_work: bytes must be a finite number >= 0, got -1"), std::string::npos)
      << messages[0];
  EXPECT_NE(messages[1].find("report_work: flops must be a finite number >= 0"), std::string::npos) << messages[1];
}

// H100 SXM at its datasheet figures: 3.35e12 bytes take 1 s at the HBM
// ceiling, 67e12 FLOP 1 s at the FP32 one.
TEST(Roofline, H100SxmFractionOfTheBindingCeiling) {
  EXPECT_DOUBLE_EQ(bench::kH100Sxm.bytes_per_second, 3.35e12);
  EXPECT_DOUBLE_EQ(bench::kH100Sxm.flops_per_second, 67e12);
  EXPECT_DOUBLE_EQ(bench::kH100Sxm.fraction(3.35e12, 0, 2.0), 0.5);           // a copy at half the bandwidth
  EXPECT_DOUBLE_EQ(bench::kH100Sxm.fraction(3.35e12, 134e12, 4.0), 0.5);      // compute binds: 2 s of 4
  EXPECT_DOUBLE_EQ(bench::kH100Sxm.min_seconds(6.7e12, 67e12), 2.0);          // memory binds: 2 s
}

TEST(Roofline, RejectsMissingCeilingsAndBadSeconds) {
  EXPECT_THROW(bench::Roofline{}.fraction(1, 1, 1), Error);                   // no ceiling at all
  EXPECT_THROW((bench::Roofline{-1, 10}.fraction(1, 1, 1)), Error);
  EXPECT_THROW((bench::Roofline{0, 1e9}.fraction(100, 0, 1)), Error);         // FLOP ceiling, no FLOPs
  EXPECT_THROW(bench::kH100Sxm.fraction(1, 1, 0), Error);
  try {
    bench::kH100Sxm.fraction(1, 1, std::nan(""));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Roofline::fraction: seconds must be a finite number > 0"), std::string::npos)
        << e.what();
  }
}

TEST(MedianMs, OddEvenAndEmpty) {
  EXPECT_DOUBLE_EQ(bench::median_ms({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(bench::median_ms({7.5}), 7.5);
  EXPECT_DOUBLE_EQ(bench::median_ms({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_DOUBLE_EQ(bench::median_ms({10.0, 1.0}), 5.5);
  EXPECT_DOUBLE_EQ(bench::median_ms({5.0, 5.0, 1.0, 9.0, 5.0, 2.0}), 5.0);  // ties in the middle
  try {
    bench::median_ms({});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("median_ms: no samples"), std::string::npos) << e.what();
  }
  EXPECT_THROW(bench::median_ms({1.0, std::nan(""), 2.0}), Error);
}

// sleep_for waits at least its duration on the steady clock, which is the
// timer's clock: a lower bound only (a loaded machine may sleep longer).
TEST(HostTimer, MeasuresAtLeastASleep) {
  const bench::HostTimer timer;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double ms = timer.elapsed_ms();
  EXPECT_GE(ms, 20.0);
  EXPECT_GE(timer.elapsed_seconds(), ms / 1e3);  // a steady clock does not run backwards
}

// time_host reports each iteration's host time to the library and returns
// the sum, which is the library's manual time.
TEST(TimeHost, ReportsTheSleepsItTimed) {
  double seconds = 0;
  const auto run = run_benchmark(
      "kit_time_host",
      [&](benchmark::State& state) {
        seconds = bench::time_host(state, [] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); });
      },
      3);
  EXPECT_GE(seconds, 3 * 5e-3);
  EXPECT_NEAR(run.real_accumulated_time, seconds, 1e-12);
}

}  // namespace
