#include "cutrain/train/callbacks/reduce_lr_on_plateau.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::train {

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options, std::ostream* out)
    : opt_(std::move(options)), test_(opt_.mode, opt_.monitor, opt_.min_delta), out_(out) {
  CUTRAIN_CHECK(opt_.factor < 1.0,
                "ReduceLROnPlateau does not support a factor >= 1.0. Received factor=", opt_.factor);
}

void ReduceLROnPlateau::on_train_begin(Logs&) {
  wait_ = 0;
  cooldown_counter_ = 0;
  best_.reset();
}

void ReduceLROnPlateau::on_epoch_end(int64_t epoch, Logs& logs) {
  logs.set(kLogKey, model().learning_rate());
  const auto current = logs.get(opt_.monitor);
  if (!current) {
    std::string avail;
    for (const auto& k : logs.keys()) avail += (avail.empty() ? "" : ",") + k;
    warn("Learning rate reduction is conditioned on metric `" + opt_.monitor +
         "` which is not available. Available metrics are: " + avail);
    return;
  }
  if (in_cooldown()) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (test_.is_improvement(*current, best_)) {
    best_ = *current;
    wait_ = 0;
  } else if (!in_cooldown()) {
    ++wait_;
    if (wait_ >= opt_.patience) {
      const double old_lr = model().learning_rate();
      // Keras compares against min_lr rounded to float32.
      if (old_lr > static_cast<double>(static_cast<float>(opt_.min_lr))) {
        const double new_lr = std::max(old_lr * opt_.factor, opt_.min_lr);
        model().set_learning_rate(new_lr);
        if (opt_.verbose > 0 && out_)
          *out_ << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to "
                << python_float_repr(new_lr) << ".\n";
        cooldown_counter_ = opt_.cooldown;
        wait_ = 0;
      }
    }
  }
}

}  // namespace cutrain::train
