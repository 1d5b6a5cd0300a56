// BatchFeed: the Model's side of data::Loader. fit, evaluate and predict
// announce the index batches they will ask for (Trainable::plan_batches);
// the feed starts its loader on them, so workers decode, augment and
// collate ahead of the step, and take() hands each one out after checking it
// is the batch asked for. A batch asked for off the plan (a direct
// train_batch call, a plan cut short) is built on its own the same way, so
// the result never depends on whether, or how far ahead, batches were
// planned: augmentation is keyed by (seed, epoch, sample index) only.
//
// With an upload device (the model's GPU) the images also travel ahead:
// when batch N is taken, batch N+1's images are copied from their pinned
// host buffer on the feed's copy stream, so that copy runs while step N
// computes; an event recorded after each copy is waited on by the device's
// default stream (the executor's main stream) before the step that reads
// it, and record_stream keeps each device buffer from reuse until that step
// is done. Every batch gets its own device buffer from the caching allocator,
// which makes the double buffering (and the reuse ordering) the allocator's
// job. Labels stay on the host: the metrics read them there.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "cutrain/core/stream.h"
#include "cutrain/data/loader.h"

namespace cutrain::train {

class BatchFeed {
 public:
  BatchFeed(std::shared_ptr<const data::Dataset> dataset, data::Transform transform, data::LoaderOptions options,
            std::optional<Device> upload_to = std::nullopt);

  // Starts building `batches` (augmentation keyed by `epoch`); drops any
  // batches of an earlier plan that were not taken.
  void plan(int64_t epoch, std::vector<std::vector<int64_t>> batches);
  // The batch of `indices` for `epoch`: the next planned one when it matches,
  // else built now. With an upload device its images are on that device,
  // ordered before the device's default stream's next work.
  data::Batch take(int64_t epoch, std::span<const int64_t> indices);

 private:
  struct InFlight {
    data::Batch batch;
    Event copied;   // recorded on the copy stream after the upload
    Tensor staged;  // the host images, kept until the copy is waited for
  };
  InFlight fetch();  // the loader's next batch, its upload started
  void restart(int64_t epoch, std::vector<std::vector<int64_t>> batches);

  data::Loader loader_;
  std::optional<Device> upload_to_;
  Stream copy_stream_;
  std::vector<std::vector<int64_t>> planned_;  // what the loader is building, in order
  std::size_t next_ = 0;                       // planned batches taken
  std::optional<InFlight> ahead_;              // batch next_, fetched and uploading
  std::exception_ptr ahead_error_;             // or why fetching it failed
  int64_t epoch_ = 0;
  bool active_ = false;
};

}  // namespace cutrain::train
