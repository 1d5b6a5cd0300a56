// The flags of train's optional callbacks: --early-stopping
// MONITOR:PATIENCE[:MIN_DELTA], --reduce-lr-on-plateau MONITOR:FACTOR:PATIENCE,
// --backup-dir DIR and --backup-freq epoch|N, and TensorBoard's
// --histogram-freq N and --write-images (with --logdir). A bad value is
// rejected while the flags are parsed (exit 2, the message naming the flag
// and the value, nothing written).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/train/callbacks/backup_and_restore.h"
#include "cutrain/train/callbacks/early_stopping.h"
#include "cutrain/train/callbacks/reduce_lr_on_plateau.h"

namespace cutrain::cli {

struct CallbackFlags {
  std::string early_stopping;
  std::string reduce_lr_on_plateau;
  std::string backup_dir;
  std::string backup_freq = "epoch";
  int64_t histogram_freq = 0;
  bool write_images = false;
};

// Registers the four flags; returns --backup-dir's option (for excludes).
CLI::Option* add_callback_flags(CLI::App& c, CallbackFlags& f);
// --histogram-freq and --write-images, which need `logdir` (--logdir).
void add_tensorboard_flags(CLI::App& c, CallbackFlags& f, CLI::Option* logdir);
// The TensorBoard callback writing event files to `logdir`.
std::shared_ptr<train::Callback> make_tensorboard(const std::string& logdir, const CallbackFlags& f);
// ReduceLROnPlateau, then EarlyStopping, as the flags ask.
void add_plateau_callbacks(const CallbackFlags& f, int verbose, std::vector<std::shared_ptr<train::Callback>>& out);
// The BackupAndRestore of --backup-dir (null without it).
std::shared_ptr<train::BackupAndRestore> make_backup(const CallbackFlags& f);

train::EarlyStoppingOptions parse_early_stopping(const std::string& spec);           // throws cutrain::Error
train::ReduceLROnPlateauOptions parse_reduce_lr_on_plateau(const std::string& spec);  // throws cutrain::Error
// "epoch" -> 0, "N" -> N > 0 (BackupAndRestoreOptions::save_freq).
int64_t parse_backup_freq(const std::string& spec);  // throws cutrain::Error
CLI::Validator early_stopping_check();
CLI::Validator reduce_lr_on_plateau_check();
CLI::Validator backup_freq_check();

}  // namespace cutrain::cli
