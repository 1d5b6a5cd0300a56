// Loader: turns a Dataset into batches on worker threads.
//
// Each epoch visits a permutation of the samples (shuffled from seed and
// epoch, or in order). Workers claim batch numbers, build them (get, transform,
// copy into the batch tensors) and park them in a reorder buffer; next()
// hands them out strictly in batch order. Every random choice is keyed by
// (seed, epoch, sample index), so the batches are identical for any worker
// count. At most `prefetch` batches are claimed ahead of the consumer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/data/dataset.h"
#include "cutrain/data/transforms.h"

namespace cutrain::data {

// Allocates host batch tensors; called from worker threads, so it must be
// thread-safe. A pinned-memory allocator plugs in here.
using BatchAllocator = std::function<Tensor(const Shape&, DType)>;

struct LoaderOptions {
  int64_t batch_size = 32;
  int num_workers = 2;  // 0: batches are built in next() on the calling thread
  int prefetch = 4;     // batches in flight or waiting, beyond the one being consumed
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;
  BatchAllocator allocate;  // default: Tensor::empty on the CPU
};

struct Batch {
  Tensor images;  // f32 [B, H, W, C] in [-1, 1]
  Tensor labels;  // i32 [B]
  int64_t epoch = 0;
  int64_t index = 0;                    // batch number within the epoch
  std::vector<int64_t> sample_indices;  // dataset indices of the rows
};

class Loader {
 public:
  Loader(std::shared_ptr<const Dataset> dataset, Transform transform, LoaderOptions options = {});
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t batches_per_epoch() const;
  int64_t dataset_size() const { return dataset_->size(); }

  // Starts (or restarts) an epoch; batches of an unfinished epoch are dropped.
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch, or nullopt when it is done. Errors
  // raised while building the batch (e.g. a corrupt image) are rethrown here.
  std::optional<Batch> next();

  // The sample order of an epoch (exposed for tests and resumption).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  struct State;
  Batch build(int64_t epoch, int64_t batch, const std::vector<int64_t>& order) const;
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  Transform transform_;
  LoaderOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace cutrain::data
