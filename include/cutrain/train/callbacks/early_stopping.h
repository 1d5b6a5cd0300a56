// EarlyStopping: stop when the monitored value stops improving (Keras 3).
//
// Per epoch (from start_from_epoch on, and only when the monitor is present):
// wait += 1; on improvement over the best so far, best = current and, when
// no baseline is set or the baseline is beaten too, wait = 0; otherwise stop
// once wait >= patience and epoch > 0. With restore_best_weights the weights
// of the best epoch (or of the first monitored epoch, if none improved) are
// restored at train end, whether or not training stopped early.
#pragma once

#include <optional>
#include <string>

#include "cutrain/train/callback.h"
#include "cutrain/train/monitor.h"

namespace cutrain::train {

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0;
  int64_t patience = 0;
  int verbose = 0;
  MonitorMode mode = MonitorMode::automatic;
  std::optional<double> baseline;
  bool restore_best_weights = false;
  int64_t start_from_epoch = 0;
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {}, std::ostream* out = nullptr);

  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

  int64_t wait() const { return wait_; }
  int64_t stopped_epoch() const { return stopped_epoch_; }
  int64_t best_epoch() const { return best_epoch_; }
  std::optional<double> best() const { return best_; }

 private:
  EarlyStoppingOptions opt_;
  ImprovementTest test_;
  std::ostream* out_;
  int64_t wait_ = 0;
  int64_t stopped_epoch_ = 0;
  int64_t best_epoch_ = 0;
  std::optional<double> best_;
  std::optional<WeightSnapshot> best_weights_;
};

}  // namespace cutrain::train
