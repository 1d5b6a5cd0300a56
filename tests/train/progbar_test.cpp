// The progress bar text for scripted runs with an injected clock.
#include <gtest/gtest.h>

#include <sstream>

#include "cutrain/train/callbacks/lambda_callback.h"
#include "cutrain/train/callbacks/progbar_logger.h"
#include "cutrain/train/progbar.h"
#include "fakes.h"

using namespace cutrain;
using namespace cutrain::train;
using namespace cutrain::train::testing;

namespace {
std::string bar(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "\xe2\x94\x81";
  return s;
}
}  // namespace

TEST(Progbar, TimeFormats) {
  EXPECT_EQ(Progbar::format_eta(62.3), "1:02");
  EXPECT_EQ(Progbar::format_eta(3725.0), "1:02:05");
  EXPECT_EQ(Progbar::format_eta(59.9), "59s");
  EXPECT_EQ(Progbar::format_eta(60.0), "60s");
  EXPECT_EQ(Progbar::format_time_per_unit(0.045, "step"), "45ms/step");
  EXPECT_EQ(Progbar::format_time_per_unit(2.0, "step"), "2s/step");
  EXPECT_EQ(Progbar::format_time_per_unit(0.0, "step"), "0s/step");
  EXPECT_EQ(Progbar::format_time_per_unit(5e-5, "step"), "50us/step");
}

TEST(Progbar, VerboseOneLineMatchesTheKerasLayout) {
  double now = 0;
  std::ostringstream out;
  Progbar p({.target = 469}, out, [&] { return now; });
  now = 0.25;
  p.update(1, L({{"loss", 2.0}}));  // first step: 250ms
  now = 0.25 + 122 * 0.18;          // 122 more steps at 180ms
  p.update(123, L({{"loss", 0.41234}, {"accuracy", 0.85104}}));
  const std::string first = "\r  1/469 " + bar(20) + " ETA 1:57 - 250ms/step - loss: 2.0000";
  // Time per step ignores the first step: 0.18 s; ETA 0.18 * 346 = 62.28 s.
  const std::string second = "\r123/469 " + bar(20) + " ETA 1:02 - 180ms/step - loss: 0.4123 - accuracy: 0.8510";
  EXPECT_EQ(out.str(), first + second);
}

TEST(Progbar, ThrottlesUpdatesAndPadsShorterLines) {
  double now = 0;
  std::ostringstream out;
  Progbar p({.target = 2}, out, [&] { return now; });
  now = 2.0;
  p.update(1, L({{"loss", 1.0}}));
  now = 2.01;  // within 0.05 s of the last update: not drawn
  p.update(1, L({{"loss", 1.0}}));
  now = 4.0;
  p.update(2, L({{"loss", 0.5}}));  // finalize: elapsed instead of ETA
  const std::string l1 = "\r1/2 " + bar(20) + " ETA 2s - 2s/step - loss: 1.0000";
  const std::string l2 = "\r2/2 " + bar(20) + " 4s - 2s/step - loss: 0.5000" + std::string(4, ' ') + "\n";
  EXPECT_EQ(out.str(), l1 + l2);
}

TEST(Progbar, AnsiColoursMarkTheDonePart) {
  double now = 0;
  std::ostringstream out;
  Progbar p({.target = 4, .ansi = true}, out, [&] { return now; });
  now = 1;
  p.update(1, Logs{});
  EXPECT_EQ(out.str(), "\r\x1b[1m1/4\x1b[0m \x1b[32m" + bar(5) + "\x1b[0m\x1b[37m" + bar(15) +
                           "\x1b[0m ETA 3s - 1s/step");
}

TEST(Progbar, VerboseTwoPrintsOneLineAtTheEnd) {
  double now = 0;
  std::ostringstream out;
  Progbar p({.target = 3, .verbose = 2}, out, [&] { return now; });
  now = 1;
  p.update(1, L({{"loss", 1.0}}));
  now = 2;
  p.update(3, L({{"loss", 0.25}, {"val_loss", 0.5}}));
  EXPECT_EQ(out.str(), "3/3 - 2s - 500ms/step - loss: 0.2500 - val_loss: 0.5000\n");
}

TEST(ProgBarLogger, ScriptedFitOutput) {
  ScriptedTrainable m;
  m.n = 4;
  m.seconds_per_batch = 0.25;
  std::ostringstream out;
  FitOptions opt{.batch_size = 2, .epochs = 2, .verbose = 1, .shuffle = false, .out = &out, .clock = m.clock()};
  fit(m, opt);
  // Batch losses: mean of indices [0,1] = 0.5, [2,3] = 2.5; running 1.5.
  const std::string epoch_lines =
      "\r1/2 " + bar(20) + " ETA 0s - 250ms/step - loss: 0.5000 - accuracy: 0.2500" +
      "\r2/2 " + bar(20) + " ETA 0s - 250ms/step - loss: 1.5000 - accuracy: 0.2500" +
      "\r2/2 " + bar(20) + " 0s - 250ms/step - loss: 1.5000 - accuracy: 0.2500" + std::string(4, ' ') + "\n";
  EXPECT_EQ(out.str(), "Epoch 1/2\n" + epoch_lines + "Epoch 2/2\n" + epoch_lines);
}

TEST(ProgBarLogger, VerboseTwoAndSingleEpochHasNoHeader) {
  ScriptedTrainable m;
  m.n = 4;
  m.n_val = 2;
  m.seconds_per_batch = 1.5;
  std::ostringstream out;
  fit(m, {.batch_size = 2, .epochs = 1, .verbose = 2, .validation_data = true, .shuffle = false,
          .out = &out, .clock = m.clock()});
  // Validation (indices 0 and 1 of the validation set) stays silent but is in the line.
  EXPECT_EQ(out.str(), "2/2 - 3s - 2s/step - loss: 1.5000 - accuracy: 0.2500 - val_loss: 0.5000 - val_accuracy: 0.2500\n");
  std::ostringstream quiet;
  fit(m, {.batch_size = 2, .epochs = 3, .verbose = 0, .out = &quiet, .clock = m.clock()});
  EXPECT_EQ(quiet.str(), "");
}

TEST(ProgBarLogger, EvaluateOutsideFitHasItsOwnBar) {
  ScriptedTrainable m;
  m.n = 3;
  std::ostringstream out;
  const Logs logs = evaluate(m, {.batch_size = 2, .verbose = 2, .out = &out, .clock = m.clock()});
  EXPECT_DOUBLE_EQ(logs.at("loss"), 1.0);  // (0 + 1 + 2) / 3
  EXPECT_EQ(out.str(), "2/2 - 0s - 0s/step - loss: 1.0000 - accuracy: 0.2500\n");
}

// A run stopped early (--max-steps) reports the steps that ran and their
// time per step, not the whole epoch.
TEST(ProgBarLogger, StoppedEarlyCountsTheStepsThatRan) {
  ScriptedTrainable m;
  m.n = 20;  // 10 batches of 2
  m.seconds_per_batch = 0.5;
  auto stop = std::make_shared<LambdaCallback>();
  stop->train_batch_end = [&](int64_t batch, Logs&) {
    if (batch == 3) m.set_stop_training(true);
  };
  std::ostringstream out;
  fit(m, {.batch_size = 2, .epochs = 1, .verbose = 2, .shuffle = false, .out = &out, .clock = m.clock()}, {stop});
  // Four steps of 0.5 s: 2 s in all, 500 ms per step (the target stays 10).
  EXPECT_EQ(out.str(), " 4/10 - 2s - 500ms/step - loss: 3.5000 - accuracy: 0.2500\n");
}
