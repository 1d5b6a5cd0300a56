// ModelCheckpoint: save the model every epoch or every N batches (Keras 3).
//
// The path is formatted (format_path.h) with `epoch` (1-based), `batch`
// (1-based, per-batch saving only) and every log key: "w.{epoch:02d}-
// {val_loss:.2f}" at epoch index 2 with val_loss 0.5678 gives "w.03-0.57".
// With save_best_only the model is saved only when the monitor improves
// (strictly: cur < best in min mode, no min_delta, starting from
// initial_value_threshold when given); a missing monitor warns and saves.
// save_freq 0 means "epoch"; N > 0 saves after every N batches counted across
// epochs, as Keras' batch counter does. Parent folders are created.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "cutrain/train/callback.h"
#include "cutrain/train/monitor.h"

namespace cutrain::train {

struct ModelCheckpointOptions {
  std::string filepath;
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  MonitorMode mode = MonitorMode::automatic;
  int64_t save_freq = 0;  // 0: every epoch; N > 0: every N batches
  std::optional<double> initial_value_threshold;
};

class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(ModelCheckpointOptions options, std::ostream* out = nullptr);

  void on_train_begin(Logs& logs) override;
  void on_epoch_begin(int64_t epoch, Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;

  // The path for `epoch` (0-based) and optional `batch` (0-based) and logs.
  std::string file_path(int64_t epoch, std::optional<int64_t> batch, const Logs& logs) const;
  std::optional<double> best() const { return best_; }

 private:
  bool should_save_on_batch(int64_t batch);
  void save_model(int64_t epoch, std::optional<int64_t> batch, const Logs& logs);
  bool should_save(int64_t epoch, const Logs& logs, const std::string& path);

  ModelCheckpointOptions opt_;
  ImprovementTest test_;
  std::ostream* out_;
  std::optional<double> best_;
  int64_t current_epoch_ = 0;
  int64_t batches_since_save_ = 0;
  int64_t last_batch_seen_ = 0;
};

}  // namespace cutrain::train
