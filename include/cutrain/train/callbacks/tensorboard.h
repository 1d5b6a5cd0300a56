// TensorBoard: epoch scalars for TensorBoard's scalar dashboard (Keras 3).
//
// At each epoch end, training logs go to logdir/train as "epoch_<name>" and
// validation logs ("val_" keys, prefix dropped) to logdir/validation as
// "epoch_<name>", both at step = epoch (0-based). "epoch_learning_rate" is
// added to the training run from the model unless the logs already carry
// "learning_rate". With update_freq = N > 0, every N-th training batch also
// writes "batch_<name>" at step = the global batch count (1-based). Each
// evaluation inside fit writes "evaluation_<name>_vs_iterations" to the
// validation run at the global batch count. Writers open lazily.
#pragma once

#include <memory>
#include <string>

#include "cutrain/train/callback.h"
#include "cutrain/train/scalar_writer.h"

namespace cutrain::train {

struct TensorBoardOptions {
  std::string log_dir = "logs";
  int64_t update_freq = 0;  // 0: "epoch"; N > 0: batch scalars every N batches
};

class TensorBoard : public Callback {
 public:
  explicit TensorBoard(TensorBoardOptions options, ScalarWriterFactory factory = {});

  void on_train_begin(Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  void on_test_end(Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

  static std::string join(const std::string& dir, const std::string& run);

 private:
  ScalarWriter& train_writer();
  ScalarWriter& val_writer();

  TensorBoardOptions opt_;
  ScalarWriterFactory factory_;
  std::unique_ptr<ScalarWriter> train_;
  std::unique_ptr<ScalarWriter> val_;
  int64_t global_train_batch_ = 0;
  bool in_fit_ = false;
};

}  // namespace cutrain::train
