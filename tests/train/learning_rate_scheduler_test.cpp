// LearningRateScheduler's Keras semantics on a scripted Trainable.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/learning_rate_scheduler.h"
#include "fakes.h"

using namespace cutrain;
using namespace cutrain::train;
using namespace cutrain::train::testing;

// Keras' example: "def scheduler(epoch, lr): if epoch < 10: return lr
// else: return lr * ops.exp(-0.1)" -- at the beginning of every epoch the
// callback gets the updated rate from schedule(epoch, lr) with the current
// rate and applies it; the rate is in the epoch's logs.
TEST(LearningRateScheduler, AppliesScheduleOfEpochAndCurrentRateAndLogsIt) {
  ScriptedTrainable m;
  m.n = 4;
  m.lr = 0.1;
  std::vector<std::pair<int64_t, double>> calls;
  auto cb = std::make_shared<LearningRateScheduler>([&](int64_t epoch, double lr) {
    calls.emplace_back(epoch, lr);
    return epoch < 2 ? lr : lr * std::exp(-0.1);
  });
  FitOptions fo;
  fo.batch_size = 2;
  fo.epochs = 4;
  fo.verbose = 0;
  History h = fit(m, fo, {cb});
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0], (std::pair<int64_t, double>{0, 0.1}));
  EXPECT_EQ(calls[2].second, 0.1);
  EXPECT_EQ(calls[3].second, 0.1 * std::exp(-0.1));  // the current rate, as the schedule left it
  EXPECT_EQ(h["learning_rate"], (std::vector<double>{0.1, 0.1, 0.1 * std::exp(-0.1),
                                                     0.1 * std::exp(-0.1) * std::exp(-0.1)}));
}

TEST(LearningRateScheduler, NonFiniteRateIsAnErrorNamingTheEpoch) {
  ScriptedTrainable m;
  m.n = 4;
  auto cb = std::make_shared<LearningRateScheduler>([](int64_t epoch, double lr) { return epoch == 1 ? NAN : lr; });
  FitOptions fo;
  fo.batch_size = 2;
  fo.epochs = 3;
  fo.verbose = 0;
  try {
    fit(m, fo, {cb});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gave nan at epoch 2"), std::string::npos) << e.what();
  }
  std::ostringstream out;
  ScriptedTrainable v;
  v.n = 2;
  fo.epochs = 1;
  fit(v, fo, {std::make_shared<LearningRateScheduler>([](int64_t, double) { return 0.5; }, 1, &out)});
  EXPECT_NE(out.str().find("Epoch 1: LearningRateScheduler setting learning rate to 0.5."), std::string::npos);
}
