// Stateful metrics against the examples of Keras' own documentation, their
// accumulation over batches, and the name registry.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/core/error.h"
#include "cutrain/train/builtin_metrics.h"
#include "cutrain/train/metric.h"

using namespace cutrain;
using namespace cutrain::train;

namespace {
// Element by element: GCC 12 at -O3 -march=native filled a second
// from_vector tensor built from a braced list in this file with the wrong
// values ({1, 1, 0, 0} read back as all ones); set_flat does not trip it.
Tensor filled(const Shape& s, std::initializer_list<double> v) {
  Tensor t = Tensor::zeros(s, DType::f32);
  int64_t i = 0;
  for (double x : v) t.set_flat(i++, x);
  return t;
}
Tensor t1(std::initializer_list<double> v) { return filled(Shape{static_cast<int64_t>(v.size())}, v); }
Tensor t2(int64_t r, int64_t c, std::initializer_list<double> v) { return filled(Shape{r, c}, v); }
}  // namespace

// Keras Precision: "m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result() 0.6666667;
// with sample_weight=[0, 0, 1, 0]: 1.0" (threshold 0.5 on the predictions).
TEST(StatefulMetrics, PrecisionAsKerasDocuments) {
  Precision p;
  p.update_state(t1({0, 1, 1, 1}), t1({1, 0, 1, 1}));
  EXPECT_NEAR(p.result(), 2.0 / 3.0, 1e-12);
  p.reset_state();
  EXPECT_EQ(p.result(), 0.0);  // divide_no_nan: nothing predicted positive
  const std::vector<double> w{0, 0, 1, 0};
  p.update_state(t1({0, 1, 1, 1}), t1({1, 0, 1, 1}), w);
  EXPECT_EQ(p.result(), 1.0);
}

// Keras Recall: "m.update_state([0, 1, 1, 1], [1, 0, 1, 1]) 0.6666667;
// sample_weight=[0, 0, 1, 0]: 1.0".
TEST(StatefulMetrics, RecallAsKerasDocuments) {
  Recall r;
  r.update_state(t1({0, 1, 1, 1}), t1({1, 0, 1, 1}));
  EXPECT_NEAR(r.result(), 2.0 / 3.0, 1e-12);
  r.reset_state();
  const std::vector<double> w{0, 0, 1, 0};
  r.update_state(t1({0, 1, 1, 1}), t1({1, 0, 1, 1}), w);
  EXPECT_EQ(r.result(), 1.0);
}

// Keras AUC: "m = AUC(num_thresholds=3); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
// threshold values are [0 - 1e-7, 0.5, 1 + 1e-7] ... tp = [2, 1, 0], fp = [2, 0, 0],
// fn = [0, 1, 2], tn = [0, 2, 2] ... auc = 0.75".
TEST(StatefulMetrics, AucAsKerasDocuments) {
  AUC a("auc", 3);
  a.update_state(t1({0, 0, 1, 1}), t1({0, 0.5, 0.3, 0.9}));
  EXPECT_EQ(a.tp(), (std::vector<double>{2, 1, 0}));
  EXPECT_EQ(a.fp(), (std::vector<double>{2, 0, 0}));
  EXPECT_EQ(a.fn(), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(a.tn(), (std::vector<double>{0, 2, 2}));
  EXPECT_NEAR(a.result(), 0.75, 1e-12);
  ASSERT_EQ(AUC().thresholds().size(), 200u);
  EXPECT_DOUBLE_EQ(AUC().thresholds()[1], 1.0 / 199.0);
}

// With 200 thresholds and well-separated scores the interpolated ROC AUC is
// the exact one (here 8 of 9 positive/negative pairs ordered right).
TEST(StatefulMetrics, AucOverBatchesIsTheAucOfAllSamples) {
  AUC all, batched;
  all.update_state(t1({1, 0, 1, 0, 1, 0}), t1({0.9, 0.1, 0.7, 0.8, 0.6, 0.2}));
  batched.update_state(t1({1, 0, 1}), t1({0.9, 0.1, 0.7}));
  batched.update_state(t1({0, 1, 0}), t1({0.8, 0.6, 0.2}));
  EXPECT_NEAR(all.result(), 7.0 / 9.0, 1e-12);
  EXPECT_EQ(batched.result(), all.result());
}

TEST(StatefulMetrics, FromLogitsUsesSigmoidAndSoftmaxAgainstClassIds) {
  Precision p("precision", 0.5, true);
  p.update_state(t1({0, 1, 1}), t1({2.0, -1.0, 0.5}));  // positives: samples 0 and 2
  EXPECT_NEAR(p.result(), 0.5, 1e-12);
  Recall r("recall", 0.5, true);
  // Class ids against [N, 3] logits: one-hot rows vs softmax; row 0 predicts class 1 (p > 0.5).
  r.update_state(t1({1, 2}), t2(2, 3, {0, 5, 0, 0, 0, 0.1}));
  // True elements: (0,1) positive, (1,2) p = 0.35 negative -> recall 1/2.
  EXPECT_NEAR(r.result(), 0.5, 1e-12);
  EXPECT_THROW(r.update_state(t1({3, 0}), t2(2, 3, {0, 0, 0, 0, 0, 0})), Error);
}

// Keras MeanAbsoluteError / MeanSquaredError: "m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
// 0.25; sample_weight=[1, 0]: 0.5".
TEST(StatefulMetrics, MeanErrorsAsKerasDocuments) {
  for (const char* name : {"mean_absolute_error", "mean_squared_error"}) {
    auto m = make_metric(name);
    m->update_state(t2(2, 2, {0, 1, 0, 0}), t2(2, 2, {1, 1, 0, 0}));
    EXPECT_EQ(m->result(), 0.25) << name;
    m->reset_state();
    const std::vector<double> w{1, 0};
    m->update_state(t2(2, 2, {0, 1, 0, 0}), t2(2, 2, {1, 1, 0, 0}), w);
    EXPECT_EQ(m->result(), 0.5) << name;
  }
  auto mse = make_metric("mean_squared_error");
  mse->update_state(t2(1, 2, {0, 0}), t2(1, 2, {3, 1}));
  EXPECT_EQ(mse->result(), 5.0);
  EXPECT_THROW(mse->update_state(t1({0, 0, 0}), t2(1, 2, {0, 0})), Error);
}

// Keras SparseCategoricalAccuracy: "m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
// 0.5; sample_weight=[0.7, 0.3]: 0.3". Accumulates over batches until reset.
TEST(StatefulMetrics, SparseCategoricalAccuracyAsKerasDocuments) {
  auto m = make_metric("sparse_categorical_accuracy");
  m->update_state(t1({2, 1}), t2(2, 3, {0.1, 0.6, 0.3, 0.05, 0.95, 0}));
  EXPECT_EQ(m->result(), 0.5);
  m->update_state(t1({0}), t2(1, 3, {1, 0, 0}));
  EXPECT_NEAR(m->result(), 2.0 / 3.0, 1e-12);
  m->reset_state();
  const std::vector<double> w{0.7, 0.3};
  m->update_state(t1({2, 1}), t2(2, 3, {0.1, 0.6, 0.3, 0.05, 0.95, 0}), w);
  EXPECT_NEAR(m->result(), 0.3, 1e-12);
  EXPECT_THROW(m->update_state(t1({2, 1}), t2(2, 3, {0, 0, 0, 0, 0, 0}), std::vector<double>{1}), Error);
}

TEST(StatefulMetrics, RegistryMakesCustomMetricsAndNamesUnknownOnes) {
  class MaxPred final : public Metric {
   public:
    MaxPred() : Metric("max_pred") {}
    void update_state(const Tensor&, const Tensor& p, std::span<const double>) override {
      for (int64_t i = 0; i < p.numel(); ++i) best_ = std::max(best_, p.flat(i));
    }
    double result() const override { return best_; }
    void reset_state() override { best_ = -INFINITY; }

   private:
    double best_ = -INFINITY;
  };
  EXPECT_FALSE(has_metric("max_pred"));
  register_metric("max_pred", [] { return std::make_unique<MaxPred>(); });
  ASSERT_TRUE(has_metric("max_pred"));
  auto m = make_metric("max_pred");
  m->update_state(t1({0, 0}), t1({3, 7}));
  EXPECT_EQ(m->result(), 7.0);
  EXPECT_EQ(make_metric("top_k")->name(), "top_k_categorical_accuracy");
  try {
    make_metric("f1_scor");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown metric 'f1_scor'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("auc"), std::string::npos) << e.what();
  }
  EXPECT_THROW(register_metric("", [] { return std::make_unique<MaxPred>(); }), Error);
}
