// BackupAndRestore: a killed run resumes where it was (Keras 3's
// BackupAndRestore, to the batch).
//
// Keras semantics: at the end of every epoch (save_freq "epoch", 0 here) or
// after every save_freq batches counted across epochs, the model's whole
// state is written to backup_dir; when fit starts and a backup is there, the
// model is restored from it and training continues at the epoch and batch
// the backup was taken at; when training ends (every end that runs
// on_train_end: the last epoch, early stopping, a step limit), the backup is
// deleted (delete_checkpoint). An exception through fit (a kill, a signal, a
// crash) leaves it in place.
//
// Beyond Keras, which restarts the interrupted epoch's batches from its
// first, fit resumes at the very batch: the backup holds fit's position
// (fit_progress.h: the pass over the shuffled data, the epoch's running
// averages, the stateful metrics' variables) beside the checkpoint, so a run
// killed and resumed computes bit for bit what an uninterrupted one does
// (every CPU op is deterministic; on a GPU, as far as its kernels are). A
// backup of a different run (batch size, data size, seed, shuffle, ranks)
// is refused, naming the field.
//
// Files in backup_dir: state.json (the position, naming its checkpoint) and
// the checkpoint, alternately backup-a.safetensors and backup-b.safetensors.
// Each is written to a temporary file and renamed; the new checkpoint is
// complete before state.json names it, and the old one is removed only
// after, so a kill at any instant leaves a consistent backup. A batch whose
// loss is not finite is not backed up (its weights are not worth resuming).
// Other callbacks' own state (EarlyStopping's patience, ModelCheckpoint's
// best value) is not part of the backup, as in Keras.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "cutrain/train/callback.h"

namespace cutrain::train {

struct BackupAndRestoreOptions {
  std::string backup_dir;
  int64_t save_freq = 0;  // 0: "epoch"; N > 0: every N batches
  bool delete_checkpoint = true;
};

class BackupAndRestore : public Callback {
 public:
  // `out`, when given, gets one line when a run resumes.
  explicit BackupAndRestore(BackupAndRestoreOptions options, std::ostream* out = nullptr);

  void on_train_begin(Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

  // Backs the run up at the current batch, whatever save_freq says: for a
  // callback after this one that ends training in its on_train_batch_end
  // (an interrupt handler), so the run resumes at that very batch.
  void backup_now();

  std::string state_path() const;
  // Whether the last on_train_begin resumed from a backup.
  bool resumed() const { return resumed_; }

 private:
  void backup();

  BackupAndRestoreOptions opt_;
  std::ostream* out_;
  std::string checkpoint_;  // the file state.json names, "" when none
  int64_t batches_since_save_ = 0;
  bool resumed_ = false;
};

}  // namespace cutrain::train
