#include "callback_flags.h"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/tensorboard.h"
#include "flag_checks.h"

namespace cutrain::cli {
namespace {

std::vector<std::string> fields(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string f;
  while (std::getline(ss, f, ':')) out.push_back(f);
  if (!spec.empty() && spec.back() == ':') out.emplace_back();
  return out;
}

bool real(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

bool whole(const std::string& s, int64_t& v) {
  double d = 0;
  if (!real(s, d) || d < 0 || d != std::floor(d) || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  v = static_cast<int64_t>(d);
  return true;
}

CLI::Validator validator(std::string description, void (*parse)(const std::string&)) {
  return CLI::Validator(
      [parse](std::string& input) -> std::string {
        try {
          parse(input);
        } catch (const Error& e) {
          std::string m = e.what();
          if (auto p = m.find(" ["); p != std::string::npos) m.resize(p);  // no source location
          return m;
        }
        return {};
      },
      std::move(description));
}

}  // namespace

train::EarlyStoppingOptions parse_early_stopping(const std::string& spec) {
  const std::vector<std::string> f = fields(spec);
  train::EarlyStoppingOptions o;
  bool ok = (f.size() == 2 || f.size() == 3) && !f[0].empty() && whole(f[1], o.patience);
  if (ok && f.size() == 3) ok = real(f[2], o.min_delta) && o.min_delta >= 0;
  CUTRAIN_CHECK(ok, "must be MONITOR:PATIENCE[:MIN_DELTA] (patience an integer >= 0, min_delta a finite number >= 0), "
                "got '", spec, "'");
  o.monitor = f[0];
  return o;
}

train::ReduceLROnPlateauOptions parse_reduce_lr_on_plateau(const std::string& spec) {
  const std::vector<std::string> f = fields(spec);
  train::ReduceLROnPlateauOptions o;
  const bool ok = f.size() == 3 && !f[0].empty() && real(f[1], o.factor) && o.factor > 0 && o.factor < 1 &&
                  whole(f[2], o.patience);
  CUTRAIN_CHECK(ok, "must be MONITOR:FACTOR:PATIENCE (factor in (0, 1), patience an integer >= 0), got '", spec,
                "'");
  o.monitor = f[0];
  return o;
}

int64_t parse_backup_freq(const std::string& spec) {
  if (spec == "epoch") return 0;
  int64_t n = 0;
  CUTRAIN_CHECK(whole(spec, n) && n > 0, "must be 'epoch' or a number of batches >= 1, got '", spec, "'");
  return n;
}

CLI::Validator early_stopping_check() {
  return validator("MONITOR:PATIENCE[:MIN_DELTA]", [](const std::string& s) { parse_early_stopping(s); });
}

CLI::Validator reduce_lr_on_plateau_check() {
  return validator("MONITOR:FACTOR:PATIENCE", [](const std::string& s) { parse_reduce_lr_on_plateau(s); });
}

CLI::Validator backup_freq_check() {
  return validator("epoch|N", [](const std::string& s) { parse_backup_freq(s); });
}

CLI::Option* add_callback_flags(CLI::App& c, CallbackFlags& f) {
  c.add_option("--early-stopping", f.early_stopping,
               "stop when MONITOR (e.g. val_loss) has not improved by MIN_DELTA for PATIENCE epochs (Keras' "
               "EarlyStopping)")
      ->check(early_stopping_check());
  c.add_option("--reduce-lr-on-plateau", f.reduce_lr_on_plateau,
               "multiply the learning rate by FACTOR when MONITOR has not improved for PATIENCE epochs "
               "(Keras' ReduceLROnPlateau; needs a constant --schedule)")
      ->check(reduce_lr_on_plateau_check());
  CLI::Option* dir = c.add_option("--backup-dir", f.backup_dir,
                                  "back the run up here (Keras' BackupAndRestore): rerun the same command after a "
                                  "kill and it resumes at the batch of the last backup with the results of an "
                                  "uninterrupted run; deleted when training ends");
  c.add_option("--backup-freq", f.backup_freq,
               "back up at every epoch's end ('epoch') or every N batches (and when SIGINT/SIGTERM stops it)")
      ->check(backup_freq_check())
      ->capture_default_str();
  return dir;
}

void add_tensorboard_flags(CLI::App& c, CallbackFlags& f, CLI::Option* logdir) {
  CLI::Option* hist = c.add_option("--histogram-freq", f.histogram_freq,
                                   "every N epochs, a histogram of each weight in --logdir's training run "
                                   "(Keras' histogram_freq; 0: none)")
                          ->check(integer_at_least(0))
                          ->needs(logdir);
  c.add_flag("--write-images", f.write_images,
             "with --histogram-freq, each vector and matrix weight as an image too (Keras' write_images)")
      ->needs(hist);
}

std::shared_ptr<train::Callback> make_tensorboard(const std::string& logdir, const CallbackFlags& f) {
  train::TensorBoardOptions to;
  to.log_dir = logdir;
  to.histogram_freq = f.histogram_freq;
  to.write_images = f.write_images;
  return std::make_shared<train::TensorBoard>(to, train::open_event_file_writer);
}

void add_plateau_callbacks(const CallbackFlags& f, int verbose, std::vector<std::shared_ptr<train::Callback>>& out) {
  if (!f.reduce_lr_on_plateau.empty()) {
    train::ReduceLROnPlateauOptions ro = parse_reduce_lr_on_plateau(f.reduce_lr_on_plateau);
    ro.verbose = verbose > 0 ? 1 : 0;
    out.push_back(std::make_shared<train::ReduceLROnPlateau>(ro, &std::cout));
  }
  if (!f.early_stopping.empty()) {
    train::EarlyStoppingOptions eo = parse_early_stopping(f.early_stopping);
    eo.verbose = verbose > 0 ? 1 : 0;
    out.push_back(std::make_shared<train::EarlyStopping>(eo, &std::cout));
  }
}

std::shared_ptr<train::BackupAndRestore> make_backup(const CallbackFlags& f) {
  if (f.backup_dir.empty()) return nullptr;
  return std::make_shared<train::BackupAndRestore>(
      train::BackupAndRestoreOptions{.backup_dir = f.backup_dir, .save_freq = parse_backup_freq(f.backup_freq)},
      &std::cout);
}

}  // namespace cutrain::cli
