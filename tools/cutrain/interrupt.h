// Ctrl-C and `kill` for `cutrain train`: SIGINT or SIGTERM lets the current
// training step finish, writes a checkpoint (when --checkpoint-dir is set)
// and ends with exit code 128 + signal (130, 143), as a Keras or PyTorch user
// expects from a stopped run. A second signal ends the process at once (the
// default action), for a run that does not reach a step boundary.
#pragma once

#include <csignal>
#include <functional>
#include <string>

#include "cutrain/core/error.h"
#include "cutrain/train/callback.h"

namespace cutrain::cli {

// Installs the handlers for its lifetime (restoring the previous ones after).
class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
  // The signal received (SIGINT, SIGTERM), or 0.
  static int pending();

 private:
  struct sigaction old_int_ {}, old_term_{};
};

// Thrown through fit when a signal stopped training.
class Interrupted : public Error {
 public:
  Interrupted(const std::string& what, int signal) : Error(what), signal_(signal) {}
  int signal() const { return signal_; }
  int exit_code() const { return 128 + signal_; }

 private:
  int signal_;
};

// After every train (and test) batch: when a signal is pending, saves the
// whole model to `checkpoint_path` (unless empty) and throws Interrupted, so
// no validation or epoch end runs on a partial epoch. `on_train_stop`, when
// set, runs first when the signal comes after a training batch (--backup-dir:
// a backup at that batch).
class StopOnSignal final : public train::Callback {
 public:
  explicit StopOnSignal(std::string checkpoint_path, std::function<void()> on_train_stop = {})
      : path_(std::move(checkpoint_path)), on_train_stop_(std::move(on_train_stop)) {}
  void on_train_batch_end(int64_t batch, train::Logs& logs) override;
  void on_test_batch_end(int64_t batch, train::Logs& logs) override;

 private:
  void stop_if_signalled(const char* where, int64_t batch, const std::function<void()>& first);
  std::string path_;
  std::function<void()> on_train_stop_;
};

}  // namespace cutrain::cli
