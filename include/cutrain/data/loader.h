// Loader: turns a Dataset (or a user batch source) into batches on worker
// threads.
//
// An epoch is a list of batches: a permutation of the samples cut into
// batch_size rows (start_epoch: shuffled from seed and epoch by
// data::shuffled_order, the same permutation fit uses, or in order), an
// explicit list of index batches (start_batches: fit's passes, validation and
// prediction), or batch numbers of a user source (start_source: Keras'
// Sequence). Workers claim batch numbers, build them (get, transform, copy
// into the batch tensors) and park them in a reorder buffer; next() hands
// them out strictly in batch order. Every random choice is keyed by (seed,
// epoch, sample index), so the batches are identical for any worker count.
// At most `prefetch` batches are claimed ahead of the consumer.
//
// Errors (a corrupt image, a throwing source) are caught on the worker,
// given the batch number and sample index, and rethrown by next() when that
// batch is due. The destructor stops the workers after the batch each one is
// building: no hang, whatever the consumer did.
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
// thread-safe. A pinned-memory allocator plugs in here (pinned_batch_allocator).
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
  std::vector<int64_t> sample_indices;  // dataset indices of the rows (empty from a user source)
};

// A user batch source (Keras' Sequence.__getitem__): batch `index` of
// `epoch`. Called concurrently from worker threads, so it must be
// thread-safe; it should depend only on (epoch, index) for a run to be
// reproducible for any worker count.
using BatchSource = std::function<Batch(int64_t epoch, int64_t index)>;

class Loader {
 public:
  Loader(std::shared_ptr<const Dataset> dataset, Transform transform, LoaderOptions options = {});
  // A loader for user sources only (start_source).
  explicit Loader(LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t batches_per_epoch() const;
  int64_t dataset_size() const { return dataset_ ? dataset_->size() : 0; }
  const LoaderOptions& options() const { return options_; }

  // Starts (or restarts) an epoch; batches of an unfinished epoch are dropped.
  void start_epoch(int64_t epoch);
  // Starts a sequence of explicit index batches; augmentation keyed by `epoch`.
  void start_batches(int64_t epoch, std::vector<std::vector<int64_t>> batches);
  // Starts batches [0, num_batches) of a user source.
  void start_source(int64_t epoch, int64_t num_batches, BatchSource source);
  // The next batch of the current sequence, or nullopt when it is done.
  // Errors raised while building the batch (e.g. a corrupt image) are
  // rethrown here, with the batch number and sample index.
  std::optional<Batch> next();

  // The sample order of an epoch (exposed for tests and resumption).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  struct State;
  using MakeBatch = std::function<Batch(int64_t index)>;
  void start(int64_t num_batches, MakeBatch make);
  Batch build(int64_t epoch, int64_t batch, const std::vector<int64_t>& rows) const;
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  Transform transform_;
  LoaderOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace cutrain::data
