// fit's validation_freq and its stateful-metric hooks, on a scripted Trainable.
#include <gtest/gtest.h>

#include "cutrain/core/error.h"
#include "cutrain/train/metric.h"
#include "fakes.h"

using namespace cutrain;
using namespace cutrain::train;
using namespace cutrain::train::testing;

namespace {
FitOptions quiet(FitOptions o) {
  o.verbose = 0;
  return o;
}
}  // namespace

// Keras fit: "validation_freq: ... If an integer, specifies how many training
// epochs to run before a new validation run is performed, e.g.
// validation_freq=2 runs validation every 2 epochs. If a Container, specifies
// the epochs on which to run validation, e.g. validation_freq=[1, 2, 10] runs
// validation at the end of the 1st, 2nd, and 10th epochs."
TEST(ValidationFreq, IntValidatesEveryNthEpochListOnlyTheNamedOnes) {
  ScriptedTrainable m;
  m.n = 8;
  History h = fit(m, quiet({.batch_size = 4, .epochs = 5, .validation_split = 0.25, .validation_freq = 2}));
  EXPECT_EQ(m.eval_calls.size(), 2u);                // after epochs 2 and 4 (1-based)
  EXPECT_EQ(h["loss"].size(), 5u);
  EXPECT_EQ(h["val_loss"].size(), 2u);               // Keras' History: only the validated epochs

  ScriptedTrainable l;
  l.n = 8;
  History hl = fit(l, quiet({.batch_size = 4, .epochs = 5, .validation_split = 0.25, .validation_epochs = {1, 4}}));
  EXPECT_EQ(l.eval_calls.size(), 2u);
  EXPECT_EQ(hl["val_loss"].size(), 2u);

  ScriptedTrainable d;  // default: every epoch, as before
  d.n = 8;
  fit(d, quiet({.batch_size = 4, .epochs = 3, .validation_split = 0.25}));
  EXPECT_EQ(d.eval_calls.size(), 3u);
}

TEST(ValidationFreq, ZeroOrNonPositiveEpochsAreRejectedNamingTheValue) {
  ScriptedTrainable m;
  m.n = 8;
  try {
    fit(m, quiet({.batch_size = 4, .epochs = 1, .validation_freq = 0}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("validation_freq must be >= 1, got 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fit(m, quiet({.batch_size = 4, .epochs = 1, .validation_epochs = {0}})), Error);
  EXPECT_TRUE(m.train_calls.empty());
}

namespace {
// A Trainable whose stateful metric counts the samples it saw; its batch
// logs carry a value the loop must replace with the metric's result.
class CountingTrainable : public ScriptedTrainable {
 public:
  double count = 0;
  int resets = 0;
  Logs train_batch(std::span<const int64_t> idx, std::span<const double> w) override {
    count += static_cast<double>(idx.size());
    Logs l = ScriptedTrainable::train_batch(idx, w);
    l.set("seen", -1.0);
    return l;
  }
  Logs evaluate_batch(DataSource src, std::span<const int64_t> idx, std::span<const double> w) override {
    count += static_cast<double>(idx.size());
    Logs l = ScriptedTrainable::evaluate_batch(src, idx, w);
    l.set("seen", -1.0);
    return l;
  }
  void reset_metrics() override {
    count = 0;
    ++resets;
  }
  Logs metric_results() override { return Logs{{"seen", count}}; }
};
}  // namespace

// Keras resets every metric at the start of each epoch and each evaluation
// (Model.reset_metrics() in fit's and evaluate's loops); logs show result().
TEST(ValidationFreq, StatefulMetricResultsReplaceBatchAveragesAndResetPerEpochAndEvaluation) {
  CountingTrainable m;
  m.n = 10;
  History h = fit(m, quiet({.batch_size = 3, .epochs = 2, .validation_split = 0.2}));
  EXPECT_EQ(m.resets, 4);  // two epochs, two validations
  EXPECT_EQ(h["seen"], (std::vector<double>{8, 8}));
  EXPECT_EQ(h["val_seen"], (std::vector<double>{2, 2}));
  EXPECT_EQ(h["accuracy"], (std::vector<double>{0.25, 0.25}));  // plain logs still averaged
}
