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
//
// With histogram_freq = N > 0, every N-th epoch (epoch % N == 0, 0-based, as
// Keras 3) also writes a histogram of each weight (parameters, then batch-norm
// statistics) to the training run as "<name>/histogram" at step = epoch, the
// name being the weight's graph name (Keras: weight.path), e.g.
// "Conv2d_1/weights/histogram". With
// write_images as well, each weight that squeezes to 1 or 2 dimensions is an
// image "<name>/image" (Keras's layout: a vector as one column, a matrix with
// more rows than columns transposed; convolution kernels of 3x3 and up are
// skipped, as Keras skips 4-D ones). Unlike Keras, which clips the values to
// [0, 1] before scaling to 8 bits (most signed weights would be black), the
// image spans the weight's own range: min is 0, max is 255.
#pragma once

#include <memory>
#include <string>

#include "cutrain/train/callback.h"
#include "cutrain/train/scalar_writer.h"

namespace cutrain::train {

struct TensorBoardOptions {
  std::string log_dir = "logs";
  int64_t update_freq = 0;     // 0: "epoch"; N > 0: batch scalars every N batches
  int64_t histogram_freq = 0;  // 0: no weight histograms; N > 0: every N-th epoch
  bool write_images = false;   // weight images, in the epochs that write histograms
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
  void log_weights(int64_t epoch);

  TensorBoardOptions opt_;
  ScalarWriterFactory factory_;
  std::unique_ptr<ScalarWriter> train_;
  std::unique_ptr<ScalarWriter> val_;
  int64_t global_train_batch_ = 0;
  bool in_fit_ = false;
};

}  // namespace cutrain::train
