#include "cutrain/train/callbacks/backup_and_restore.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/io/atomic_file.h"
#include "cutrain/train/fit_progress.h"

namespace cutrain::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kState = "state.json";
constexpr const char* kSlots[] = {"backup-a.safetensors", "backup-b.safetensors"};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  CUTRAIN_CHECK(in.good(), "BackupAndRestore: cannot read ", path);
  std::ostringstream s;
  s << in.rdbuf();
  CUTRAIN_CHECK(!in.bad(), "BackupAndRestore: error reading ", path);
  return s.str();
}

}  // namespace

BackupAndRestore::BackupAndRestore(BackupAndRestoreOptions options, std::ostream* out)
    : opt_(std::move(options)), out_(out) {
  CUTRAIN_CHECK(!opt_.backup_dir.empty(), "BackupAndRestore: backup_dir is empty");
  CUTRAIN_CHECK(opt_.save_freq >= 0, "BackupAndRestore: save_freq must be 0 ('epoch') or a positive number of "
                "batches, got ", opt_.save_freq);
  std::error_code ec;
  CUTRAIN_CHECK(!fs::exists(opt_.backup_dir, ec) || fs::is_directory(opt_.backup_dir, ec), "BackupAndRestore: ",
                opt_.backup_dir, " exists and is not a directory");
}

std::string BackupAndRestore::state_path() const { return (fs::path(opt_.backup_dir) / kState).string(); }

void BackupAndRestore::on_train_begin(Logs&) {
  FitProgress* progress = fit_progress();
  CUTRAIN_CHECK(progress != nullptr, "BackupAndRestore works inside fit only");
  batches_since_save_ = 0;
  resumed_ = false;
  checkpoint_.clear();
  fs::create_directories(opt_.backup_dir);
  io::remove_stale_temp_files(opt_.backup_dir, /*include_own_pid=*/true);
  const std::string state = state_path();
  if (fs::exists(state)) {
    FitProgress saved = parse_fit_progress(read_text(state), state);
    check_same_run(saved.run, progress->run, state);
    const std::string checkpoint = (fs::path(opt_.backup_dir) / saved.checkpoint).string();
    CUTRAIN_CHECK(saved.checkpoint == kSlots[0] || saved.checkpoint == kSlots[1], state, " names checkpoint '",
                  saved.checkpoint, "', not one of BackupAndRestore's");
    model().restore_checkpoint(checkpoint);
    checkpoint_ = saved.checkpoint;
    saved.run = progress->run;
    saved.resumed = true;
    *progress = std::move(saved);
    resumed_ = true;
    if (out_)
      *out_ << "BackupAndRestore: resuming from " << opt_.backup_dir << " at epoch " << progress->epoch + 1
            << ", after batch " << progress->step << "\n";
  }
  // A checkpoint written by a run killed before state.json named it.
  for (const char* slot : kSlots)
    if (slot != checkpoint_) fs::remove(fs::path(opt_.backup_dir) / slot);
}

void BackupAndRestore::on_train_batch_end(int64_t, Logs& logs) {
  if (opt_.save_freq == 0 || ++batches_since_save_ < opt_.save_freq) return;
  batches_since_save_ = 0;
  if (const auto loss = logs.get("loss"); loss && !std::isfinite(*loss)) return;
  backup();
}

void BackupAndRestore::on_epoch_end(int64_t, Logs&) {
  if (opt_.save_freq == 0) backup();
}

void BackupAndRestore::backup_now() {
  CUTRAIN_CHECK(fit_progress() != nullptr, "BackupAndRestore::backup_now works inside fit only");
  backup();
  batches_since_save_ = 0;
}

void BackupAndRestore::backup() {
  FitProgress p = *fit_progress();
  // Between epochs the metrics start over; mid-epoch they are part of the position.
  if (p.step > 0) p.metrics = model().metric_variables();
  p.checkpoint = checkpoint_ == kSlots[0] ? kSlots[1] : kSlots[0];
  const fs::path dir(opt_.backup_dir);
  model().save((dir / p.checkpoint).string(), /*weights_only=*/false);
  const std::string json = fit_progress_json(p);
  io::write_file_atomic(state_path(), [&](io::FileSink& f) { f.write(json.data(), json.size()); });
  if (!checkpoint_.empty()) fs::remove(dir / checkpoint_);
  checkpoint_ = p.checkpoint;
}

void BackupAndRestore::on_train_end(Logs&) {
  if (!opt_.delete_checkpoint) return;
  const fs::path dir(opt_.backup_dir);
  fs::remove(state_path());  // first: no state may name a removed checkpoint
  for (const char* slot : kSlots) fs::remove(dir / slot);
  std::error_code ec;
  fs::remove(dir, ec);  // only when empty: the directory may hold the user's files
  checkpoint_.clear();
}

}  // namespace cutrain::train
