// Where fit is inside a run: the state a mid-epoch backup records so that a
// killed run resumes at the same batch with the same results.
//
// fit's loop keeps one FitProgress up to date and lets callbacks see it
// (Callback::fit_progress): before each on_train_batch_end it describes the
// batches done so far in the epoch; before on_epoch_end, the start of the
// next epoch. What it holds is exactly what the loop cannot rebuild from the
// model's checkpoint: the position in the pass over the shuffled data (the
// pass is rebuilt from the seed and the epoch that started it), the epoch's
// running averages and the stateful metrics' variables. Everything else
// (weights, optimizer slots, step and epoch counters, loss scale, micro-step
// of gradient accumulation, dropout masks and augmentation, which are keyed
// by step and epoch) comes back with the checkpoint.
//
// A callback resumes a run by filling the progress in on_train_begin and
// setting `resumed` (BackupAndRestore); the loop then starts at `epoch`,
// skipping its first `step` batches, after on_epoch_begin and the metric
// reset, with the averages and metric variables restored. `run` describes
// the fit that wrote a backup; a resume whose run differs (another batch
// size, data size, seed, ...) is refused (check_same_run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cutrain/train/logs.h"
#include "cutrain/train/metric.h"

namespace cutrain::train {

struct FitRun {
  int64_t batch_size = 0;
  int64_t steps_per_epoch = 0;  // batches per epoch
  int64_t train_samples = 0;    // this rank's samples per pass
  int64_t world_size = 1;
  uint64_t seed = 0;
  bool shuffle = true;
  bool operator==(const FitRun&) const = default;
};

struct FitProgress {
  FitRun run;
  int64_t epoch = 0;        // the epoch in progress, or the next to start
  int64_t step = 0;         // its batches done
  int64_t pass_epoch = -1;  // the epoch whose seed ordered the current pass; -1: no pass yet
  int64_t cursor = 0;       // the pass's next batch
  double seen = 0;          // samples behind the epoch's averages
  std::vector<LogsAverager::Sum> averages;
  MetricVariables metrics;  // filled by whoever saves (TrainingContext::metric_variables)
  std::string checkpoint;   // the file with the model's state here, set by whoever saves
  bool resumed = false;     // set in on_train_begin: the loop starts here
};

// JSON with every double exact (shortest round-trip digits; "nan", "inf",
// "-inf" as strings), and its parse, which names `source` on bad input.
std::string fit_progress_json(const FitProgress& progress);
FitProgress parse_fit_progress(const std::string& json, const std::string& source);

// Throws naming `source` and the first field where `saved` differs from `now`.
void check_same_run(const FitRun& saved, const FitRun& now, const std::string& source);

}  // namespace cutrain::train
