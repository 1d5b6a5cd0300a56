#include "batch_feed.h"

#include <algorithm>
#include <utility>

#include "cutrain/core/error.h"

namespace cutrain::train {

BatchFeed::BatchFeed(std::shared_ptr<const data::Dataset> dataset, data::Transform transform,
                     data::LoaderOptions options)
    : loader_(std::move(dataset), std::move(transform), std::move(options)) {}

void BatchFeed::plan(int64_t epoch, std::vector<std::vector<int64_t>> batches) {
  planned_ = batches;
  next_ = 0;
  epoch_ = epoch;
  active_ = true;
  loader_.start_batches(epoch, std::move(batches));
}

data::Batch BatchFeed::take(int64_t epoch, std::span<const int64_t> indices) {
  const bool on_plan = active_ && epoch == epoch_ && next_ < planned_.size() &&
                       std::equal(indices.begin(), indices.end(), planned_[next_].begin(), planned_[next_].end());
  if (!on_plan) plan(epoch, {std::vector<int64_t>(indices.begin(), indices.end())});
  ++next_;
  std::optional<data::Batch> b = loader_.next();
  CUTRAIN_CHECK(b.has_value(), "BatchFeed: the loader ended before batch ", next_ - 1, " of the plan");
  return std::move(*b);
}

}  // namespace cutrain::train
