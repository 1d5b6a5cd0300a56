// ProgBarLogger: the progress output of fit/evaluate/predict (Keras 3).
//
// In fit: "Epoch 3/10" before each epoch when epochs > 1 (any verbose > 0),
// a bar updated after each training batch (verbose 1) and finalized with the
// epoch logs, validation included; evaluation inside fit is silent. Outside
// fit, evaluate and predict get their own bar.
#pragma once

#include <memory>
#include <ostream>

#include "cutrain/train/callback.h"
#include "cutrain/train/progbar.h"

namespace cutrain::train {

class ProgBarLogger : public Callback {
 public:
  explicit ProgBarLogger(std::ostream& out, Clock clock = {}, bool ansi = false);

  void set_params(const CallbackParams& params) override;
  void on_train_begin(Logs& logs) override;
  void on_train_end(Logs& logs) override;
  void on_epoch_begin(int64_t epoch, Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  void on_test_begin(Logs& logs) override;
  void on_test_batch_end(int64_t batch, Logs& logs) override;
  void on_test_end(Logs& logs) override;
  void on_predict_begin(Logs& logs) override;
  void on_predict_batch_end(int64_t batch, Logs& logs) override;
  void on_predict_end(Logs& logs) override;

 private:
  void reset();
  void maybe_init();
  void update(int64_t batch, const Logs& logs);
  void finalize(const Logs& logs);

  std::ostream& out_;
  Clock clock_;
  bool ansi_;
  int verbose_ = 1;
  int64_t epochs_ = 1;
  int64_t target_ = -1;
  int64_t seen_ = 0;
  bool in_fit_ = false;
  std::unique_ptr<Progbar> bar_;
};

}  // namespace cutrain::train
