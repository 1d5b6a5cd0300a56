// LambdaCallback: a callback made of std::function hooks; unset hooks do nothing.
#pragma once

#include <functional>

#include "cutrain/train/callback.h"

namespace cutrain::train {

class LambdaCallback : public Callback {
 public:
  using TrainHook = std::function<void(Logs&)>;
  using IndexedHook = std::function<void(int64_t, Logs&)>;

  TrainHook train_begin, train_end, test_begin, test_end, predict_begin, predict_end;
  IndexedHook epoch_begin, epoch_end, train_batch_begin, train_batch_end, test_batch_begin,
      test_batch_end, predict_batch_begin, predict_batch_end;

  void on_train_begin(Logs& l) override { call(train_begin, l); }
  void on_train_end(Logs& l) override { call(train_end, l); }
  void on_test_begin(Logs& l) override { call(test_begin, l); }
  void on_test_end(Logs& l) override { call(test_end, l); }
  void on_predict_begin(Logs& l) override { call(predict_begin, l); }
  void on_predict_end(Logs& l) override { call(predict_end, l); }
  void on_epoch_begin(int64_t i, Logs& l) override { call(epoch_begin, i, l); }
  void on_epoch_end(int64_t i, Logs& l) override { call(epoch_end, i, l); }
  void on_train_batch_begin(int64_t i, Logs& l) override { call(train_batch_begin, i, l); }
  void on_train_batch_end(int64_t i, Logs& l) override { call(train_batch_end, i, l); }
  void on_test_batch_begin(int64_t i, Logs& l) override { call(test_batch_begin, i, l); }
  void on_test_batch_end(int64_t i, Logs& l) override { call(test_batch_end, i, l); }
  void on_predict_batch_begin(int64_t i, Logs& l) override { call(predict_batch_begin, i, l); }
  void on_predict_batch_end(int64_t i, Logs& l) override { call(predict_batch_end, i, l); }

 private:
  static void call(const TrainHook& f, Logs& l) {
    if (f) f(l);
  }
  static void call(const IndexedHook& f, int64_t i, Logs& l) {
    if (f) f(i, l);
  }
};

}  // namespace cutrain::train
