// LR schedules against their formulas; metric accumulators.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "cutrain/core/error.h"
#include "cutrain/train/metrics.h"
#include "cutrain/train/schedules.h"

using namespace cutrain;
using namespace cutrain::train;

TEST(Schedules, InceptionRecipeDecays094EveryTwoEpochsStaircase) {
  auto s = exponential_decay(0.045, 0.94, 2, ScheduleUnit::epochs, true);
  for (int64_t e = 0; e < 12; ++e)
    EXPECT_DOUBLE_EQ((*s)(12345, e), 0.045 * std::pow(0.94, static_cast<double>(e / 2))) << e;
  EXPECT_DOUBLE_EQ((*s)(0, 1), 0.045);
  EXPECT_DOUBLE_EQ((*s)(0, 2), 0.045 * 0.94);
  EXPECT_DOUBLE_EQ((*s)(0, 5), 0.045 * 0.94 * 0.94);
}

TEST(Schedules, ExponentialSmoothAndInSteps) {
  auto smooth = exponential_decay(0.01, 0.94, 2, ScheduleUnit::epochs, false);
  EXPECT_DOUBLE_EQ((*smooth)(0, 3), 0.01 * std::pow(0.94, 1.5));
  // slim: decay_steps = steps per epoch (100) * 2 epochs.
  auto steps = exponential_decay(0.01, 0.94, 200, ScheduleUnit::steps, true);
  EXPECT_DOUBLE_EQ((*steps)(199, 99), 0.01);
  EXPECT_DOUBLE_EQ((*steps)(200, 0), 0.01 * 0.94);
  EXPECT_DOUBLE_EQ((*steps)(650, 0), 0.01 * std::pow(0.94, 3));
  EXPECT_THROW(exponential_decay(0.1, 0.9, 0, ScheduleUnit::steps, true), Error);
}

TEST(Schedules, PiecewiseConstantUsesTfBoundaries) {
  auto s = piecewise_constant({10, 20}, {1.0, 0.5, 0.1}, ScheduleUnit::steps);
  EXPECT_EQ((*s)(0, 0), 1.0);
  EXPECT_EQ((*s)(10, 0), 1.0);
  EXPECT_EQ((*s)(11, 0), 0.5);
  EXPECT_EQ((*s)(20, 0), 0.5);
  EXPECT_EQ((*s)(21, 0), 0.1);
  auto by_epoch = piecewise_constant({3}, {0.1, 0.01}, ScheduleUnit::epochs);
  EXPECT_EQ((*by_epoch)(1000, 3), 0.1);
  EXPECT_EQ((*by_epoch)(0, 4), 0.01);
  EXPECT_THROW(piecewise_constant({1, 2}, {1.0}, ScheduleUnit::steps), Error);
  EXPECT_THROW(piecewise_constant({2, 1}, {1.0, 2.0, 3.0}, ScheduleUnit::steps), Error);
}

TEST(Schedules, CosineWithMinimum) {
  auto s = cosine_decay(1.0, 100, ScheduleUnit::steps, 0.1);
  EXPECT_DOUBLE_EQ((*s)(0, 0), 1.0);
  EXPECT_DOUBLE_EQ((*s)(50, 0), 0.1 + 0.9 * 0.5);
  EXPECT_DOUBLE_EQ((*s)(25, 0), 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi / 4)));
  EXPECT_DOUBLE_EQ((*s)(100, 0), 0.1);
  EXPECT_DOUBLE_EQ((*s)(150, 0), 0.1);
}

TEST(Schedules, LinearWarmupThenTheWrappedSchedule) {
  auto s = linear_warmup(constant_schedule(1.0), 4, ScheduleUnit::steps);
  EXPECT_EQ((*s)(0, 0), 0.0);
  EXPECT_EQ((*s)(1, 0), 0.25);
  EXPECT_EQ((*s)(3, 0), 0.75);
  EXPECT_EQ((*s)(4, 0), 1.0);
  EXPECT_EQ((*s)(1000, 9), 1.0);
  // Warm up for 2 epochs from 0.01, then the Inception decay from its start.
  auto w = linear_warmup(exponential_decay(0.045, 0.94, 2, ScheduleUnit::epochs, true), 2,
                         ScheduleUnit::epochs, 0.01);
  EXPECT_DOUBLE_EQ((*w)(0, 0), 0.01);
  EXPECT_DOUBLE_EQ((*w)(0, 1), 0.01 + (0.045 - 0.01) / 2);
  EXPECT_DOUBLE_EQ((*w)(0, 2), 0.045);
  EXPECT_DOUBLE_EQ((*w)(0, 4), 0.045 * 0.94);
  EXPECT_THROW(linear_warmup(nullptr, 2, ScheduleUnit::steps), Error);
}

TEST(Metrics, MeanIsWeighted) {
  Mean m("loss");
  m.update(2.0);
  m.update(4.0, 3.0);
  EXPECT_DOUBLE_EQ(m.result(), (2.0 + 12.0) / 4.0);
  std::vector<double> v{1, 2}, w{1, 0};
  m.reset();
  m.update(v, w);
  EXPECT_EQ(m.result(), 1.0);
  EXPECT_THROW(m.update(v, std::vector<double>{1}), Error);
}

TEST(Metrics, SparseCategoricalAccuracyArgmaxFirstOnTies) {
  // Row 2 ties between classes 0 and 2: argmax picks 0.
  Tensor logits = Tensor::from_vector({4, 3}, {0.1, 0.7, 0.2,  //
                                               2.0, 1.0, 0.0,  //
                                               0.5, 0.1, 0.5,  //
                                               -1, -2, -0.5},
                                      DType::f32);
  Tensor labels = Tensor::from_vector({4}, {1, 1, 2, 2}, DType::i64);
  EXPECT_EQ(sparse_categorical_hits(logits, labels), (std::vector<double>{1, 0, 0, 1}));
  SparseCategoricalAccuracy acc;
  acc.update(logits, labels);
  EXPECT_EQ(acc.result(), 0.5);
  std::vector<double> w{3, 1, 1, 1};
  acc.reset();
  acc.update(logits, labels, w);
  EXPECT_EQ(acc.result(), 4.0 / 6.0);
  EXPECT_EQ(acc.name(), "accuracy");
  Tensor bad = Tensor::from_vector({4}, {1, 1, 3, 0}, DType::i32);
  EXPECT_THROW(acc.update(logits, bad), Error);
}

TEST(Metrics, TopKCountsTiesAtTheBoundaryAsIn) {
  Tensor logits = Tensor::from_vector({3, 4}, {0.4, 0.3, 0.2, 0.1,  //
                                               0.4, 0.3, 0.3, 0.1,  //
                                               0.4, 0.3, NAN, 0.1},
                                      DType::f64);
  Tensor labels = Tensor::from_vector({3}, {2, 2, 2}, DType::i32);
  // Row 0: two higher -> out of top 2. Row 1: one higher, tie with class 1 -> in.
  // Row 2: the label's score is not finite -> out.
  EXPECT_EQ(sparse_top_k_hits(logits, labels, 2), (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(sparse_top_k_hits(logits, labels, 3), (std::vector<double>{1, 1, 0}));
  SparseTopKCategoricalAccuracy top2(2);
  top2.update(logits, labels);
  EXPECT_DOUBLE_EQ(top2.result(), 1.0 / 3.0);
  EXPECT_THROW(SparseTopKCategoricalAccuracy(0), Error);
}

TEST(Metrics, KerasLossReductionDividesByBatchSize) {
  std::vector<double> loss{1, 2, 3, 4}, w{1, 0, 2, 0.5};
  EXPECT_DOUBLE_EQ(reduce_sum_over_batch_size(loss, w), (1 + 0 + 6 + 2) / 4.0);
  EXPECT_DOUBLE_EQ(reduce_sum_over_batch_size(loss), 2.5);
}
