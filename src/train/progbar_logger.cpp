#include "cutrain/train/callbacks/progbar_logger.h"

namespace cutrain::train {

ProgBarLogger::ProgBarLogger(std::ostream& out, Clock clock, bool ansi)
    : out_(out), clock_(clock ? std::move(clock) : steady_clock_seconds()), ansi_(ansi) {}

void ProgBarLogger::set_params(const CallbackParams& params) {
  Callback::set_params(params);
  verbose_ = params.verbose;
  epochs_ = params.epochs;
  target_ = params.steps;
}

void ProgBarLogger::on_train_begin(Logs&) { in_fit_ = true; }
void ProgBarLogger::on_train_end(Logs&) { in_fit_ = false; }

void ProgBarLogger::reset() {
  seen_ = 0;
  bar_.reset();
}

void ProgBarLogger::maybe_init() {
  if (!bar_)
    bar_ = std::make_unique<Progbar>(
        ProgbarOptions{.target = target_, .verbose = verbose_, .ansi = ansi_}, out_, clock_);
}

void ProgBarLogger::update(int64_t batch, const Logs& logs) {
  maybe_init();
  seen_ = batch + 1;
  if (verbose_ == 1) bar_->update(seen_, logs, false);
}

void ProgBarLogger::finalize(const Logs& logs) {
  maybe_init();
  if (target_ <= 0) {
    target_ = seen_;
    bar_->set_target(target_);
  }
  // The steps that ran, not the target: a run stopped early (--max-steps,
  // stop_training) must not claim the whole epoch, nor divide its time by it.
  bar_->update(seen_, logs, true);
}

void ProgBarLogger::on_epoch_begin(int64_t epoch, Logs&) {
  reset();
  maybe_init();
  if (verbose_ > 0 && epochs_ > 1) out_ << "Epoch " << epoch + 1 << "/" << epochs_ << "\n";
}

void ProgBarLogger::on_epoch_end(int64_t, Logs& logs) { finalize(logs); }
void ProgBarLogger::on_train_batch_end(int64_t batch, Logs& logs) { update(batch, logs); }

void ProgBarLogger::on_test_begin(Logs&) {
  if (in_fit_) return;
  reset();
  maybe_init();
}
void ProgBarLogger::on_test_batch_end(int64_t batch, Logs& logs) {
  if (!in_fit_) update(batch, logs);
}
void ProgBarLogger::on_test_end(Logs& logs) {
  if (!in_fit_) finalize(logs);
}

void ProgBarLogger::on_predict_begin(Logs&) {
  reset();
  maybe_init();
}
void ProgBarLogger::on_predict_batch_end(int64_t batch, Logs&) { update(batch, Logs{}); }
void ProgBarLogger::on_predict_end(Logs&) { finalize(Logs{}); }

}  // namespace cutrain::train
