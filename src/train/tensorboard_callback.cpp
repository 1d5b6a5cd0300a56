#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/tensorboard.h"

namespace cutrain::train {
namespace {
std::mutex g_factory_mutex;
ScalarWriterFactory& factory_slot() {
  static ScalarWriterFactory f;
  return f;
}
}  // namespace

void set_default_scalar_writer_factory(ScalarWriterFactory factory) {
  std::lock_guard lock(g_factory_mutex);
  factory_slot() = std::move(factory);
}

ScalarWriterFactory default_scalar_writer_factory() {
  std::lock_guard lock(g_factory_mutex);
  if (factory_slot()) return factory_slot();
  return [](const std::string& dir) -> std::unique_ptr<ScalarWriter> {
    CUTRAIN_THROW("TensorBoard: no event writer is installed (set_default_scalar_writer_factory) "
                  "to write '", dir, "'");
  };
}

TensorBoard::TensorBoard(TensorBoardOptions options, ScalarWriterFactory factory)
    : opt_(std::move(options)),
      factory_(factory ? std::move(factory) : default_scalar_writer_factory()) {
  CUTRAIN_CHECK(opt_.update_freq >= 0, "TensorBoard: update_freq must be 0 ('epoch') or positive");
}

std::string TensorBoard::join(const std::string& dir, const std::string& run) {
  if (dir.empty()) return run;
  return dir.back() == '/' ? dir + run : dir + "/" + run;
}

ScalarWriter& TensorBoard::train_writer() {
  if (!train_) train_ = factory_(join(opt_.log_dir, "train"));
  CUTRAIN_CHECK(train_ != nullptr, "TensorBoard: the writer factory returned null");
  return *train_;
}

ScalarWriter& TensorBoard::val_writer() {
  if (!val_) val_ = factory_(join(opt_.log_dir, "validation"));
  CUTRAIN_CHECK(val_ != nullptr, "TensorBoard: the writer factory returned null");
  return *val_;
}

void TensorBoard::on_train_begin(Logs&) {
  global_train_batch_ = 0;
  in_fit_ = true;
}

void TensorBoard::on_train_batch_end(int64_t, Logs& logs) {
  ++global_train_batch_;
  if (opt_.update_freq == 0 || global_train_batch_ % opt_.update_freq != 0) return;
  auto& w = train_writer();
  for (const auto& [k, v] : logs) w.add_scalar("batch_" + k, v, global_train_batch_);
}

void TensorBoard::on_test_end(Logs& logs) {
  if (!in_fit_) return;
  auto& w = val_writer();
  for (const auto& [k, v] : logs)
    w.add_scalar("evaluation_" + k + "_vs_iterations", v, global_train_batch_);
}

void TensorBoard::on_epoch_end(int64_t epoch, Logs& logs) {
  Logs train_logs, val_logs;
  for (const auto& [k, v] : logs) {
    if (k.starts_with("val_"))
      val_logs.set(k.substr(4), v);
    else
      train_logs.set(k, v);
  }
  if (!train_logs.contains("learning_rate") && has_model())
    train_logs.set("learning_rate", model().learning_rate());
  auto& tw = train_writer();
  for (const auto& [k, v] : train_logs) tw.add_scalar("epoch_" + k, v, epoch);
  tw.flush();
  if (!val_logs.empty()) {
    auto& vw = val_writer();
    for (const auto& [k, v] : val_logs) vw.add_scalar("epoch_" + k, v, epoch);
    vw.flush();
  }
}

void TensorBoard::on_train_end(Logs&) {
  in_fit_ = false;
  if (train_) train_->flush();
  if (val_) val_->flush();
}

}  // namespace cutrain::train
