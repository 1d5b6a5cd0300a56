// BatchFeed: the Model's side of data::Loader. fit, evaluate and predict
// announce the index batches they will ask for (Trainable::plan_batches);
// the feed starts its loader on them, so workers decode, augment and
// collate ahead of the step, and take() hands each one out after checking it
// is the batch asked for. A batch asked for off the plan (a direct
// train_batch call, a plan cut short) is built on its own the same way, so
// the result never depends on whether, or how far ahead, batches were
// planned: augmentation is keyed by (seed, epoch, sample index) only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cutrain/data/loader.h"

namespace cutrain::train {

class BatchFeed {
 public:
  BatchFeed(std::shared_ptr<const data::Dataset> dataset, data::Transform transform, data::LoaderOptions options);

  // Starts building `batches` (augmentation keyed by `epoch`); drops any
  // batches of an earlier plan that were not taken.
  void plan(int64_t epoch, std::vector<std::vector<int64_t>> batches);
  // The batch of `indices` for `epoch`: the next planned one when it matches,
  // else built now.
  data::Batch take(int64_t epoch, std::span<const int64_t> indices);

 private:
  data::Loader loader_;
  std::vector<std::vector<int64_t>> planned_;  // what the loader is building, in order
  std::size_t next_ = 0;
  int64_t epoch_ = 0;
  bool active_ = false;
};

}  // namespace cutrain::train
