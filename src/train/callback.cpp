#include "cutrain/train/callback.h"

#include <iostream>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/history.h"

namespace cutrain::train {

WarningSink stderr_warning_sink() {
  return [](const std::string& m) { std::cerr << "warning: " << m << "\n"; };
}

TrainingContext& Callback::model() const {
  CUTRAIN_CHECK(context_ != nullptr, "callback used without a model (set_context was not called)");
  return *context_;
}

void Callback::warn(const std::string& message) const {
  if (warn_)
    warn_(message);
  else
    stderr_warning_sink()(message);
}

CallbackList::CallbackList(std::vector<std::shared_ptr<Callback>> callbacks)
    : callbacks_(std::move(callbacks)) {
  for (const auto& cb : callbacks_) CUTRAIN_CHECK(cb != nullptr, "CallbackList: null callback");
}

std::shared_ptr<History> CallbackList::history() const {
  for (const auto& cb : callbacks_)
    if (auto h = std::dynamic_pointer_cast<History>(cb)) return h;
  return nullptr;
}

void CallbackList::set_context(TrainingContext* context) {
  for (auto& cb : callbacks_) cb->set_context(context);
}
void CallbackList::set_params(const CallbackParams& params) {
  for (auto& cb : callbacks_) cb->set_params(params);
}
void CallbackList::set_fit_progress(FitProgress* progress) {
  for (auto& cb : callbacks_) cb->set_fit_progress(progress);
}

void TrainingContext::restore_checkpoint(const std::string& path) {
  CUTRAIN_THROW("this model cannot restore checkpoint '", path, "' (TrainingContext::restore_checkpoint)");
}

void TrainingContext::assign_metric_variables(const MetricVariables& values) {
  CUTRAIN_CHECK(values.empty(), "this model has no stateful metrics, but ", values.size(),
                " metric states were given to restore (first: '", values.front().first, "')");
}

#define CUTRAIN_DISPATCH(name, ...) \
  for (auto& cb : callbacks_) cb->name(__VA_ARGS__)

void CallbackList::on_train_begin(Logs& l) { CUTRAIN_DISPATCH(on_train_begin, l); }
void CallbackList::on_train_end(Logs& l) { CUTRAIN_DISPATCH(on_train_end, l); }
void CallbackList::on_epoch_begin(int64_t e, Logs& l) { CUTRAIN_DISPATCH(on_epoch_begin, e, l); }
void CallbackList::on_epoch_end(int64_t e, Logs& l) { CUTRAIN_DISPATCH(on_epoch_end, e, l); }
void CallbackList::on_train_batch_begin(int64_t b, Logs& l) { CUTRAIN_DISPATCH(on_train_batch_begin, b, l); }
void CallbackList::on_train_batch_end(int64_t b, Logs& l) { CUTRAIN_DISPATCH(on_train_batch_end, b, l); }
void CallbackList::on_test_begin(Logs& l) { CUTRAIN_DISPATCH(on_test_begin, l); }
void CallbackList::on_test_end(Logs& l) { CUTRAIN_DISPATCH(on_test_end, l); }
void CallbackList::on_test_batch_begin(int64_t b, Logs& l) { CUTRAIN_DISPATCH(on_test_batch_begin, b, l); }
void CallbackList::on_test_batch_end(int64_t b, Logs& l) { CUTRAIN_DISPATCH(on_test_batch_end, b, l); }
void CallbackList::on_predict_begin(Logs& l) { CUTRAIN_DISPATCH(on_predict_begin, l); }
void CallbackList::on_predict_end(Logs& l) { CUTRAIN_DISPATCH(on_predict_end, l); }
void CallbackList::on_predict_batch_begin(int64_t b, Logs& l) { CUTRAIN_DISPATCH(on_predict_batch_begin, b, l); }
void CallbackList::on_predict_batch_end(int64_t b, Logs& l) { CUTRAIN_DISPATCH(on_predict_batch_end, b, l); }

#undef CUTRAIN_DISPATCH

}  // namespace cutrain::train
