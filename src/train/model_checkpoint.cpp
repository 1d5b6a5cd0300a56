#include "cutrain/train/callbacks/model_checkpoint.h"

#include <cstdio>
#include <filesystem>

#include "cutrain/core/error.h"
#include "cutrain/train/format_path.h"

namespace cutrain::train {
namespace {
std::string fixed5(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.5f", v);
  return buf;
}
}  // namespace

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options, std::ostream* out)
    : opt_(std::move(options)), test_(opt_.mode, opt_.monitor, 0.0), out_(out) {
  CUTRAIN_CHECK(!opt_.filepath.empty(), "ModelCheckpoint: filepath is empty");
  CUTRAIN_CHECK(opt_.save_freq >= 0, "ModelCheckpoint: save_freq must be 0 ('epoch') or a positive "
                "number of batches, got ", opt_.save_freq);
  best_ = opt_.initial_value_threshold;
}

// Keras keeps `best` across fits of one instance; so do we.
void ModelCheckpoint::on_train_begin(Logs&) {
  batches_since_save_ = 0;
  last_batch_seen_ = 0;
}

void ModelCheckpoint::on_epoch_begin(int64_t epoch, Logs&) { current_epoch_ = epoch; }

void ModelCheckpoint::on_epoch_end(int64_t epoch, Logs& logs) {
  if (opt_.save_freq == 0) save_model(epoch, std::nullopt, logs);
}

void ModelCheckpoint::on_train_batch_end(int64_t batch, Logs& logs) {
  if (should_save_on_batch(batch)) save_model(current_epoch_, batch, logs);
}

bool ModelCheckpoint::should_save_on_batch(int64_t batch) {
  if (opt_.save_freq == 0) return false;
  // A batch index not above the last one means a new epoch began.
  const int64_t add = batch <= last_batch_seen_ ? batch + 1 : batch - last_batch_seen_;
  batches_since_save_ += add;
  last_batch_seen_ = batch;
  if (batches_since_save_ >= opt_.save_freq) {
    batches_since_save_ = 0;
    return true;
  }
  return false;
}

std::string ModelCheckpoint::file_path(int64_t epoch, std::optional<int64_t> batch,
                                       const Logs& logs) const {
  std::map<std::string, FormatValue> values;
  for (const auto& [k, v] : logs) values[k] = v;
  values["epoch"] = epoch + 1;
  if (batch && !logs.contains("batch")) values["batch"] = *batch + 1;
  return format_path(opt_.filepath, values);
}

bool ModelCheckpoint::should_save(int64_t epoch, const Logs& logs, const std::string& path) {
  if (!opt_.save_best_only) {
    if (opt_.verbose > 0 && out_) *out_ << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
    return true;
  }
  const auto current = logs.get(opt_.monitor);
  if (!current) {
    warn("Can save best model only with " + opt_.monitor + " available.");
    return true;
  }
  const std::string best_str = best_ ? fixed5(*best_) : "None";
  if (test_.is_improvement(*current, best_)) {
    if (opt_.verbose > 0 && out_)
      *out_ << "\nEpoch " << epoch + 1 << ": " << opt_.monitor << " improved from " << best_str
            << " to " << fixed5(*current) << ", saving model to " << path << "\n";
    best_ = *current;
    return true;
  }
  if (opt_.verbose > 0 && out_)
    *out_ << "\nEpoch " << epoch + 1 << ": " << opt_.monitor << " did not improve from " << best_str
          << "\n";
  return false;
}

void ModelCheckpoint::save_model(int64_t epoch, std::optional<int64_t> batch, const Logs& logs) {
  const std::string path = file_path(epoch, batch, logs);
  if (!should_save(epoch, logs, path)) return;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  CUTRAIN_CHECK(!std::filesystem::is_directory(path),
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                "existing directory: ", path);
  model().save(path, opt_.save_weights_only);
}

}  // namespace cutrain::train
