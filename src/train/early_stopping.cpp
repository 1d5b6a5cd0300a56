#include "cutrain/train/callbacks/early_stopping.h"

#include <ostream>

namespace cutrain::train {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options, std::ostream* out)
    : opt_(std::move(options)), test_(opt_.mode, opt_.monitor, opt_.min_delta), out_(out) {}

void EarlyStopping::on_train_begin(Logs&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_epoch_ = 0;
  best_.reset();
  best_weights_.reset();
}

void EarlyStopping::on_epoch_end(int64_t epoch, Logs& logs) {
  const auto current = logs.get(opt_.monitor);
  if (!current) {
    std::string avail;
    for (const auto& k : logs.keys()) avail += (avail.empty() ? "" : ",") + k;
    warn("Early stopping conditioned on metric `" + opt_.monitor +
         "` which is not available. Available metrics are: " + avail);
    return;
  }
  if (epoch < opt_.start_from_epoch) return;
  if (opt_.restore_best_weights && !best_weights_) {
    best_weights_ = model().get_weights();
    best_epoch_ = epoch;
  }
  ++wait_;
  if (test_.is_improvement(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (opt_.restore_best_weights) best_weights_ = model().get_weights();
    if (!opt_.baseline || test_.is_improvement(*current, opt_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= opt_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model().set_stop_training(true);
  }
}

void EarlyStopping::on_train_end(Logs&) {
  if (stopped_epoch_ > 0 && opt_.verbose > 0 && out_)
    *out_ << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
  if (opt_.restore_best_weights && best_weights_) {
    if (opt_.verbose > 0 && out_)
      *out_ << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1
            << ".\n";
    model().set_weights(*best_weights_);
  }
}

}  // namespace cutrain::train
