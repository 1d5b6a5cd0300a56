#include "cutrain/train/callbacks/terminate_on_nan.h"

#include <cmath>

namespace cutrain::train {

void TerminateOnNaN::on_train_begin(Logs&) { terminated_.reset(); }

void TerminateOnNaN::on_epoch_begin(int64_t epoch, Logs&) { epoch_ = epoch; }

void TerminateOnNaN::on_train_batch_end(int64_t batch, Logs& logs) {
  const std::optional<double> loss = logs.get("loss");
  if (!loss || std::isfinite(*loss)) return;
  if (out_) *out_ << "Batch " << batch << ": Invalid loss, terminating training\n";
  terminated_ = NonFiniteLoss{epoch_, batch, *loss};
  model().set_stop_training(true);
}

}  // namespace cutrain::train
