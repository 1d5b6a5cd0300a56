#include "cutrain/train/callbacks/learning_rate_scheduler.h"

#include <cmath>

#include "cutrain/core/error.h"

namespace cutrain::train {

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose, std::ostream* out)
    : schedule_(std::move(schedule)), verbose_(verbose), out_(out) {
  CUTRAIN_CHECK(schedule_ != nullptr, "LearningRateScheduler: no schedule function");
}

void LearningRateScheduler::on_epoch_begin(int64_t epoch, Logs&) {
  const double lr = schedule_(epoch, model().learning_rate());
  CUTRAIN_CHECK(std::isfinite(lr) && lr >= 0, "LearningRateScheduler: the schedule gave ", lr, " at epoch ",
                epoch + 1, "; it must be a finite number >= 0");
  model().set_learning_rate(lr);
  if (verbose_ > 0 && out_)
    *out_ << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << lr << ".\n";
}

void LearningRateScheduler::on_epoch_end(int64_t, Logs& logs) { logs.set(kLogKey, model().learning_rate()); }

}  // namespace cutrain::train
