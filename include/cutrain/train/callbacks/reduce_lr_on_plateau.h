// ReduceLROnPlateau: multiply the learning rate by `factor` when the monitored
// value has not improved for `patience` epochs (Keras 3).
//
// Each epoch end it first records the current rate in the logs under
// "learning_rate" (Keras 3's key; Keras 2 used "lr"), so History, CSVLogger
// and the progress bar that run after it show the rate the epoch trained with.
// Then, when the monitor is present: in cooldown, count down and reset wait;
// on improvement (cur < best - |min_delta| in min mode) best = cur, wait = 0;
// otherwise, outside cooldown, wait += 1 and at wait >= patience, if the rate
// is above min_lr, set lr = max(lr * factor, min_lr), wait = 0 and enter the
// cooldown. factor >= 1 is an error at construction.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "cutrain/train/callback.h"
#include "cutrain/train/monitor.h"

namespace cutrain::train {

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int64_t patience = 10;
  int verbose = 0;
  MonitorMode mode = MonitorMode::automatic;
  double min_delta = 1e-4;
  int64_t cooldown = 0;
  double min_lr = 0;
};

class ReduceLROnPlateau : public Callback {
 public:
  static constexpr const char* kLogKey = "learning_rate";

  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {}, std::ostream* out = nullptr);

  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;

  int64_t wait() const { return wait_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }
  std::optional<double> best() const { return best_; }

 private:
  bool in_cooldown() const { return cooldown_counter_ > 0; }

  ReduceLROnPlateauOptions opt_;
  ImprovementTest test_;
  std::ostream* out_;
  int64_t wait_ = 0;
  int64_t cooldown_counter_ = 0;
  std::optional<double> best_;
};

}  // namespace cutrain::train
