// TerminateOnNaN: stop training at the first non-finite loss (Keras 3).
//
// Keras semantics: on every train batch end, when logs["loss"] is NaN or
// +-inf, print "Batch B: Invalid loss, terminating training" and set
// stop_training, so the batch loop ends at once (validation and epoch end
// still run, as for any stop). The callback also remembers where it fired
// (terminated()).
//
// fit's default (FitOptions::terminate_on_nan, on unless a TerminateOnNaN is
// among the callbacks) goes further: the weights are no longer finite, so
// nothing may save or log them. The epoch that diverged gets no validation
// and no epoch end (no checkpoint, no CSV row, no plot of it); train end runs
// with the last complete epoch's logs, then fit throws NonFiniteLossError
// naming the epoch, the batch and the value. The last checkpoint written
// stays the last good one. Like TensorFlow's check_numerics, this finds that
// a run diverged; --check-numerics (CompileOptions::check_numerics) finds
// which op made the first non-finite value.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include "cutrain/core/error.h"
#include "cutrain/train/callback.h"

namespace cutrain::train {

// Where a loss first became non-finite (epoch and batch 0-based, as fit counts).
struct NonFiniteLoss {
  int64_t epoch = 0;
  int64_t batch = 0;
  double value = 0;
};

// Thrown by fit when its default TerminateOnNaN fired.
class NonFiniteLossError : public Error {
 public:
  NonFiniteLossError(const std::string& what, NonFiniteLoss where) : Error(what), where_(where) {}
  const NonFiniteLoss& where() const { return where_; }

 private:
  NonFiniteLoss where_;
};

class TerminateOnNaN : public Callback {
 public:
  // `out`: where the Keras line goes (nullptr: nowhere).
  explicit TerminateOnNaN(std::ostream* out = nullptr) : out_(out) {}

  void on_train_begin(Logs& logs) override;
  void on_epoch_begin(int64_t epoch, Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;

  // Set once the callback stopped training (cleared by on_train_begin).
  const std::optional<NonFiniteLoss>& terminated() const { return terminated_; }

 private:
  std::ostream* out_;
  int64_t epoch_ = 0;
  std::optional<NonFiniteLoss> terminated_;
};

}  // namespace cutrain::train
