// EarlyStopping, ReduceLROnPlateau, monitor modes, History, LambdaCallback,
// TensorBoard: scripted epoch logs through a fake model.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <tuple>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/early_stopping.h"
#include "cutrain/train/callbacks/history.h"
#include "cutrain/train/callbacks/lambda_callback.h"
#include "cutrain/train/callbacks/reduce_lr_on_plateau.h"
#include "cutrain/train/callbacks/tensorboard.h"
#include "cutrain/train/monitor.h"
#include "fakes.h"

using namespace cutrain;
using namespace cutrain::train;
using namespace cutrain::train::testing;

namespace {
std::vector<Logs> val_loss_seq(std::vector<double> v) {
  std::vector<Logs> out;
  for (double x : v) out.push_back(L({{"loss", 1.0}, {"val_loss", x}}));
  return out;
}
std::vector<std::string> g_warnings;
void capture(Callback& cb) {
  g_warnings.clear();
  cb.set_warning_sink([](const std::string& m) { g_warnings.push_back(m); });
}
}  // namespace

TEST(Monitor, AutoModeByName) {
  EXPECT_EQ(resolve_monitor_mode(MonitorMode::automatic, "val_loss"), MonitorMode::min);
  EXPECT_EQ(resolve_monitor_mode(MonitorMode::automatic, "loss"), MonitorMode::min);
  EXPECT_EQ(resolve_monitor_mode(MonitorMode::automatic, "val_accuracy"), MonitorMode::max);
  EXPECT_EQ(resolve_monitor_mode(MonitorMode::automatic, "acc"), MonitorMode::max);
  EXPECT_EQ(resolve_monitor_mode(MonitorMode::automatic, "val_top_k_categorical_accuracy"), MonitorMode::max);
  EXPECT_EQ(resolve_monitor_mode(MonitorMode::automatic, "mean_squared_error"), MonitorMode::min);
  EXPECT_EQ(resolve_monitor_mode(MonitorMode::max, "val_loss"), MonitorMode::max);
  EXPECT_EQ(parse_monitor_mode("auto"), MonitorMode::automatic);
  EXPECT_THROW(parse_monitor_mode("bigger"), Error);
}

TEST(Monitor, ImprovementUsesAbsoluteMinDelta) {
  ImprovementTest min_t(MonitorMode::min, "loss", -0.1);  // sign ignored
  EXPECT_TRUE(min_t.is_improvement(5.0, std::nullopt));   // first value always improves
  EXPECT_TRUE(min_t.is_improvement(0.85, 1.0));
  EXPECT_FALSE(min_t.is_improvement(0.9, 1.0));  // 0.9 < 0.9 is false
  EXPECT_FALSE(min_t.is_improvement(0.95, 1.0));
  ImprovementTest max_t(MonitorMode::automatic, "val_accuracy", 0.1);
  EXPECT_TRUE(max_t.is_improvement(0.75, 0.6));
  EXPECT_FALSE(max_t.is_improvement(0.7, 0.6));
  EXPECT_FALSE(max_t.is_improvement(0.1, 0.6));
}

TEST(EarlyStopping, StopsWhenWaitReachesPatience) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_loss", .patience = 2});
  // e0 best; e1 improves; e2 wait 1; e3 wait 2 -> stop at epoch 3.
  EXPECT_EQ(run_epochs(es, m, val_loss_seq({1.0, 0.9, 0.95, 0.93, 0.8})), 4);
  EXPECT_EQ(es.stopped_epoch(), 3);
  EXPECT_EQ(es.best(), 0.9);
  EXPECT_EQ(es.best_epoch(), 1);
}

TEST(EarlyStopping, PatienceZeroStopsAtFirstNonImprovementAfterEpochZero) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_loss", .patience = 0});
  EXPECT_EQ(run_epochs(es, m, val_loss_seq({1.0, 0.5, 0.6, 0.1})), 3);
  EXPECT_EQ(es.stopped_epoch(), 2);
}

TEST(EarlyStopping, MinDeltaMakesSmallGainsCountAsNoImprovement) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_loss", .min_delta = 0.1, .patience = 1});
  EXPECT_EQ(run_epochs(es, m, val_loss_seq({1.0, 0.95, 0.85})), 2);
  EarlyStopping es2({.monitor = "val_loss", .min_delta = 0.01, .patience = 1});
  EXPECT_EQ(run_epochs(es2, m, val_loss_seq({1.0, 0.95, 0.85})), 3);
}

TEST(EarlyStopping, AutoModeMaximisesAccuracy) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_accuracy", .patience = 1});
  std::vector<Logs> seq;
  for (double a : {0.5, 0.6, 0.6, 0.55}) seq.push_back(L({{"val_accuracy", a}}));
  EXPECT_EQ(run_epochs(es, m, seq), 3);  // 0.6 is not > 0.6 at epoch 2
  EXPECT_EQ(es.best(), 0.6);
  EarlyStopping es_min({.monitor = "val_accuracy", .patience = 1, .mode = MonitorMode::min});
  EXPECT_EQ(run_epochs(es_min, m, seq), 2);  // 0.6 is no improvement in min mode
}

TEST(EarlyStopping, BaselineKeepsWaitRunningUntilBeaten) {
  FakeContext m;
  EarlyStopping plain({.monitor = "val_loss", .patience = 2});
  EXPECT_EQ(run_epochs(plain, m, val_loss_seq({0.9, 0.9, 0.9, 0.9})), 3);
  // With a baseline the first value is the best but does not reset wait:
  // e0 wait 1; e1 wait 2 -> stop.
  EarlyStopping with_base({.monitor = "val_loss", .patience = 2, .baseline = 0.5});
  EXPECT_EQ(run_epochs(with_base, m, val_loss_seq({0.9, 0.9, 0.9, 0.9})), 2);
  // Beating the baseline resets wait.
  EarlyStopping beaten({.monitor = "val_loss", .patience = 2, .baseline = 0.5});
  EXPECT_EQ(run_epochs(beaten, m, val_loss_seq({0.9, 0.4, 0.45, 0.45, 0.45})), 4);
  EXPECT_EQ(beaten.stopped_epoch(), 3);
}

TEST(EarlyStopping, RestoresBestWeightsAtTrainEnd) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_loss", .patience = 2, .restore_best_weights = true});
  EXPECT_EQ(run_epochs(es, m, val_loss_seq({1.0, 0.5, 0.7, 0.8, 0.1})), 4);
  EXPECT_EQ(m.weight, 101.0);  // the weights of epoch 1
  EXPECT_EQ(m.set_weights_calls, 1);
  // Also without an early stop: the best epoch's weights come back at the end.
  FakeContext m2;
  EarlyStopping es2({.monitor = "val_loss", .patience = 5, .restore_best_weights = true});
  EXPECT_EQ(run_epochs(es2, m2, val_loss_seq({1.0, 0.2, 0.7})), 3);
  EXPECT_EQ(m2.weight, 101.0);
  // Without the option nothing is restored.
  FakeContext m3;
  EarlyStopping es3({.monitor = "val_loss", .patience = 5});
  run_epochs(es3, m3, val_loss_seq({1.0, 0.2, 0.7}));
  EXPECT_EQ(m3.weight, 102.0);
  EXPECT_EQ(m3.set_weights_calls, 0);
}

TEST(EarlyStopping, StartFromEpochIgnoresWarmUpEpochs) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_loss", .patience = 1, .start_from_epoch = 2});
  EXPECT_EQ(run_epochs(es, m, val_loss_seq({0.1, 0.2, 0.5, 0.6, 0.7})), 4);
  EXPECT_EQ(es.stopped_epoch(), 3);
  EXPECT_EQ(es.best(), 0.5);
  EarlyStopping no_start({.monitor = "val_loss", .patience = 1});
  EXPECT_EQ(run_epochs(no_start, m, val_loss_seq({0.1, 0.2, 0.5, 0.6, 0.7})), 2);
}

TEST(EarlyStopping, MissingMonitorWarnsAndNeverStops) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_loss", .patience = 0});
  capture(es);
  EXPECT_EQ(run_epochs(es, m, {L({{"loss", 1}}), L({{"loss", 2}}), L({{"loss", 3}})}), 3);
  ASSERT_EQ(g_warnings.size(), 3u);
  EXPECT_NE(g_warnings[0].find("`val_loss` which is not available. Available metrics are: loss"),
            std::string::npos);
}

TEST(EarlyStopping, ResetsBetweenFits) {
  FakeContext m;
  EarlyStopping es({.monitor = "val_loss", .patience = 1});
  EXPECT_EQ(run_epochs(es, m, val_loss_seq({0.1, 0.2})), 2);
  // A second fit starts with no best: 0.5 is the first value again.
  EXPECT_EQ(run_epochs(es, m, val_loss_seq({0.5, 0.4, 0.3})), 3);
}

TEST(ReduceLROnPlateau, FactorOfOneOrMoreIsAnError) {
  EXPECT_THROW(ReduceLROnPlateau({.factor = 1.0}), Error);
  EXPECT_THROW(ReduceLROnPlateau({.factor = 1.5}), Error);
  EXPECT_NO_THROW(ReduceLROnPlateau({.factor = 0.99}));
}

TEST(ReduceLROnPlateau, ReducesAfterPatienceAndLogsTheRate) {
  FakeContext m;
  m.lr = 1.0;
  ReduceLROnPlateau r({.monitor = "val_loss", .factor = 0.5, .patience = 2, .min_delta = 0});
  std::vector<double> logged;
  auto seq = val_loss_seq({1, 1, 1, 1, 1, 1});
  r.set_context(&m);
  Logs b;
  r.on_train_begin(b);
  for (int e = 0; e < 6; ++e) {
    Logs l = seq[static_cast<std::size_t>(e)];
    r.on_epoch_end(e, l);
    logged.push_back(l.at(ReduceLROnPlateau::kLogKey));
  }
  // e2 and e4 reduce; the logged rate is the one the epoch trained with.
  EXPECT_EQ(logged, (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.25}));
  EXPECT_EQ(m.lr, 0.25);
  EXPECT_EQ(std::string(ReduceLROnPlateau::kLogKey), "learning_rate");
}

TEST(ReduceLROnPlateau, CooldownPausesCounting) {
  FakeContext m;
  m.lr = 1.0;
  ReduceLROnPlateau r({.monitor = "val_loss", .factor = 0.5, .patience = 1, .min_delta = 0, .cooldown = 2});
  std::vector<double> logged;
  auto seq = val_loss_seq({1, 1, 1, 1, 1, 1});
  r.set_context(&m);
  Logs b;
  r.on_train_begin(b);
  for (int e = 0; e < 6; ++e) {
    Logs l = seq[static_cast<std::size_t>(e)];
    r.on_epoch_end(e, l);
    logged.push_back(l.at("learning_rate"));
  }
  // e1 reduce (cooldown 2); e2 cooldown 1; e3 cooldown 0 then wait 1 -> reduce; e4; e5 reduce.
  EXPECT_EQ(logged, (std::vector<double>{1, 1, 0.5, 0.5, 0.25, 0.25}));
  EXPECT_EQ(m.lr, 0.125);
}

TEST(ReduceLROnPlateau, NeverGoesBelowMinLr) {
  FakeContext m;
  m.lr = 1.0;
  ReduceLROnPlateau r({.monitor = "val_loss", .factor = 0.1, .patience = 1, .min_lr = 0.05});
  run_epochs(r, m, val_loss_seq({1, 1, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(m.lr, 0.05);
}

TEST(ReduceLROnPlateau, DefaultMinDeltaAndImprovementResetWait) {
  FakeContext m;
  m.lr = 1.0;
  ReduceLROnPlateau r({.monitor = "val_loss", .factor = 0.5, .patience = 1});
  // 0.99995 is within 1e-4 of 1.0: no improvement -> reduce at e1.
  run_epochs(r, m, val_loss_seq({1.0, 0.99995}));
  EXPECT_EQ(m.lr, 0.5);
  FakeContext m2;
  m2.lr = 1.0;
  ReduceLROnPlateau r2({.monitor = "val_loss", .factor = 0.5, .patience = 2});
  run_epochs(r2, m2, val_loss_seq({1.0, 1.0, 0.5, 0.5, 0.4}));  // improvements keep resetting
  EXPECT_EQ(m2.lr, 1.0);
  // Accuracy is maximised in auto mode.
  FakeContext m3;
  m3.lr = 1.0;
  ReduceLROnPlateau r3({.monitor = "val_accuracy", .factor = 0.5, .patience = 1});
  run_epochs(r3, m3, {L({{"val_accuracy", 0.5}}), L({{"val_accuracy", 0.7}}), L({{"val_accuracy", 0.6}})});
  EXPECT_EQ(m3.lr, 0.5);
}

TEST(ReduceLROnPlateau, MissingMonitorWarnsButStillLogsRate) {
  FakeContext m;
  m.lr = 0.3;
  ReduceLROnPlateau r({.monitor = "val_loss", .patience = 0});
  capture(r);
  r.set_context(&m);
  Logs b, l = L({{"loss", 1}});
  r.on_train_begin(b);
  r.on_epoch_end(0, l);
  EXPECT_EQ(l.at("learning_rate"), 0.3);
  EXPECT_EQ(g_warnings.size(), 1u);
  EXPECT_EQ(m.lr, 0.3);
}

TEST(History, RecordsEveryKeyPerEpoch) {
  FakeContext m;
  History h;
  run_epochs(h, m, {L({{"loss", 1}}), L({{"loss", 0.5}, {"val_loss", 0.7}}), L({{"loss", 0.25}, {"val_loss", 0.6}})});
  EXPECT_EQ(h.epoch(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(h["loss"], (std::vector<double>{1, 0.5, 0.25}));
  EXPECT_EQ(h["val_loss"], (std::vector<double>{0.7, 0.6}));  // appeared later: shorter
  EXPECT_FALSE(h.contains("accuracy"));
  EXPECT_THROW(h["accuracy"], Error);
}

TEST(LambdaCallback, CallsTheHooksThatAreSet) {
  FakeContext m;
  LambdaCallback cb;
  std::vector<std::string> trace;
  cb.train_begin = [&](Logs&) { trace.push_back("tb"); };
  cb.epoch_end = [&](int64_t e, Logs& l) { trace.push_back("ee" + std::to_string(e) + ":" + std::to_string(static_cast<int>(l.at("loss")))); };
  cb.train_end = [&](Logs&) { trace.push_back("te"); };
  run_epochs(cb, m, {L({{"loss", 3}}), L({{"loss", 2}})});
  EXPECT_EQ(trace, (std::vector<std::string>{"tb", "ee0:3", "ee1:2", "te"}));
}

namespace {
struct Rec {
  std::string run, tag;
  double value;
  int64_t step;
  bool operator==(const Rec&) const = default;
};
class FakeWriter : public ScalarWriter {
 public:
  FakeWriter(std::string run, std::vector<Rec>* out) : run_(std::move(run)), out_(out) {}
  void add_scalar(const std::string& tag, double v, int64_t step) override { out_->push_back({run_, tag, v, step}); }
  void flush() override {}

 private:
  std::string run_;
  std::vector<Rec>* out_;
};
}  // namespace

TEST(TensorBoard, WritesEpochScalarsToTrainAndValidationRuns) {
  std::vector<Rec> recs;
  std::vector<std::string> opened;
  auto factory = [&](const std::string& dir) {
    opened.push_back(dir);
    return std::make_unique<FakeWriter>(dir, &recs);
  };
  FakeContext m;
  m.lr = 0.01;
  TensorBoard tb({.log_dir = "runs/a"}, factory);
  run_epochs(tb, m, {L({{"loss", 0.9}, {"accuracy", 0.5}, {"val_loss", 1.1}}), L({{"loss", 0.8}, {"accuracy", 0.6}, {"val_loss", 1.0}})});
  EXPECT_EQ(opened, (std::vector<std::string>{"runs/a/train", "runs/a/validation"}));
  std::vector<Rec> want = {
      {"runs/a/train", "epoch_loss", 0.9, 0},          {"runs/a/train", "epoch_accuracy", 0.5, 0},
      {"runs/a/train", "epoch_learning_rate", 0.01, 0}, {"runs/a/validation", "epoch_loss", 1.1, 0},
      {"runs/a/train", "epoch_loss", 0.8, 1},          {"runs/a/train", "epoch_accuracy", 0.6, 1},
      {"runs/a/train", "epoch_learning_rate", 0.01, 1}, {"runs/a/validation", "epoch_loss", 1.0, 1},
  };
  EXPECT_EQ(recs, want);
}

TEST(TensorBoard, BatchScalarsEveryNBatchesAndEventFilesByDefault) {
  std::vector<Rec> recs;
  auto factory = [&](const std::string& dir) { return std::make_unique<FakeWriter>(dir, &recs); };
  FakeContext m;
  TensorBoard tb({.log_dir = "l", .update_freq = 2}, factory);
  tb.set_context(&m);
  Logs e;
  tb.on_train_begin(e);
  for (int b = 0; b < 5; ++b) {
    Logs l = L({{"loss", static_cast<double>(b)}});
    tb.on_train_batch_end(b, l);
  }
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], (Rec{"l/train", "batch_loss", 1, 2}));
  EXPECT_EQ(recs[1], (Rec{"l/train", "batch_loss", 3, 4}));
  // Validation inside fit is logged against the global batch count.
  Logs v = L({{"loss", 7}});
  tb.on_test_end(v);
  EXPECT_EQ(recs.back(), (Rec{"l/validation", "evaluation_loss_vs_iterations", 7, 5}));
  // Without a factory, TensorBoard writes event files, as Keras's does.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("cutrain_tb_default_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    TensorBoard files({.log_dir = dir.string()});
    files.set_context(&m);
    Logs ee = L({{"loss", 1}});
    files.on_epoch_end(0, ee);
  }
  int event_files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir / "train"))
    event_files += f.path().filename().string().find("tfevents") != std::string::npos ? 1 : 0;
  EXPECT_EQ(event_files, 1);
  std::filesystem::remove_all(dir);
}
