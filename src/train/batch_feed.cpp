#include "batch_feed.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "cutrain/core/error.h"

namespace cutrain::train {

BatchFeed::BatchFeed(std::shared_ptr<const data::Dataset> dataset, data::Transform transform,
                     data::LoaderOptions options, std::optional<Device> upload_to)
    : loader_(std::move(dataset), std::move(transform), std::move(options)), upload_to_(upload_to) {
  if (upload_to_) copy_stream_ = Stream::create(*upload_to_);
}

void BatchFeed::restart(int64_t epoch, std::vector<std::vector<int64_t>> batches) {
  planned_ = batches;
  next_ = 0;
  ahead_.reset();
  ahead_error_ = nullptr;
  epoch_ = epoch;
  active_ = true;
  loader_.start_batches(epoch, std::move(batches));
}

void BatchFeed::plan(int64_t epoch, std::vector<std::vector<int64_t>> batches) { restart(epoch, std::move(batches)); }

BatchFeed::InFlight BatchFeed::fetch() {
  std::optional<data::Batch> b = loader_.next();
  CUTRAIN_CHECK(b.has_value(), "BatchFeed: the loader ended before batch ", next_, " of the plan");
  InFlight f{std::move(*b), {}};
  if (upload_to_) {
    // From the pinned pool this copy does not block the host (cuda_backend.cpp).
    // The host buffer stays with the batch until take() has ordered the
    // step after the copy (a CPU copy stream has no record_stream to keep it).
    f.staged = f.batch.images;
    f.batch.images = f.staged.to(*upload_to_, copy_stream_);
    f.copied = Event::create(*upload_to_);
    f.copied.record(copy_stream_);
  }
  return f;
}

data::Batch BatchFeed::take(int64_t epoch, std::span<const int64_t> indices) {
  const bool on_plan = active_ && epoch == epoch_ && next_ < planned_.size() &&
                       std::equal(indices.begin(), indices.end(), planned_[next_].begin(), planned_[next_].end());
  if (!on_plan) restart(epoch, {std::vector<int64_t>(indices.begin(), indices.end())});
  if (on_plan && ahead_error_) std::rethrow_exception(std::exchange(ahead_error_, nullptr));
  InFlight cur = ahead_ ? std::move(*ahead_) : fetch();
  ahead_.reset();
  ++next_;
  if (upload_to_) {
    const Stream main = Stream::default_stream(*upload_to_);
    main.wait(cur.copied);
    cur.batch.images.storage()->record_stream(main);
    cur.staged = Tensor();
    // Batch N+1's upload goes on the copy stream before step N is enqueued,
    // so the two overlap on the device.
    // A failure there belongs to batch N+1: it is rethrown when that is taken.
    if (next_ < planned_.size()) {
      try {
        ahead_ = fetch();
      } catch (...) {
        ahead_error_ = std::current_exception();
      }
    }
  }
  return std::move(cur.batch);
}

}  // namespace cutrain::train
