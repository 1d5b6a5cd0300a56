// LearningRateScheduler (Keras): at the start of every epoch the rate
// becomes schedule(epoch, current rate), epoch 0-based; at the epoch's end
// the rate is logged under "learning_rate" (Keras 3's key), so History and
// CSVLogger after it record it. A result that is not a finite number >= 0
// is an error naming the epoch and the value (Keras: "The output of the
// schedule function should be a float"). verbose > 0 prints Keras' line.
#pragma once

#include <functional>
#include <ostream>

#include "cutrain/train/callback.h"

namespace cutrain::train {

class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int64_t epoch, double lr)>;
  static constexpr const char* kLogKey = "learning_rate";

  explicit LearningRateScheduler(Schedule schedule, int verbose = 0, std::ostream* out = nullptr);

  void on_epoch_begin(int64_t epoch, Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
  std::ostream* out_;
};

}  // namespace cutrain::train
