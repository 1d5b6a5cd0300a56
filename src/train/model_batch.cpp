// Model: batches of an ImageData through data::Loader (batch_feed.h; images
// through the transform, on the loader's workers) and their targets per
// output, from the data set's labels or ImageData::targets.
#include <algorithm>

#include "batch_feed.h"
#include "cutrain/core/error.h"
#include "cutrain/core/pinned_allocator.h"
#include "cutrain/train/model.h"
#include "step_graph.h"

namespace cutrain::train {

namespace {

// Rows `indices` of a per-sample tensor [N, ...] (on the host).
Tensor gather_rows(const Tensor& all, std::span<const int64_t> indices, const std::string& output) {
  const Tensor src = on_host(all);
  std::vector<int64_t> dims = src.shape().dims();
  CUTRAIN_CHECK(!dims.empty(), "targets['", output, "'] must have a sample dimension, got a scalar");
  const int64_t n = dims[0];
  dims[0] = static_cast<int64_t>(indices.size());
  Tensor out = Tensor::empty(Shape(dims), src.dtype());
  const Stream host = Stream::default_stream(Device::cpu());
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    CUTRAIN_CHECK(i >= 0 && i < n, "targets['", output, "'] has ", n, " rows, sample ", i, " asked for");
    const auto row = static_cast<int64_t>(k);
    out.slice(0, row, row + 1).copy_from(src.slice(0, i, i + 1), host);
  }
  return out;
}

}  // namespace

BatchFeed& Model::feed(FeedKind kind, const ImageData& d) {
  std::unique_ptr<BatchFeed>& f = feeds_[kind];
  if (f) return *f;
  const data::Transform& tf = kind == FeedKind::train ? d.train_transform : d.eval_transform;
  CUTRAIN_CHECK(d.dataset != nullptr && tf.apply != nullptr, "the data source has no dataset or transform");
  CUTRAIN_CHECK(tf.height == spec_.height && tf.width == spec_.width && tf.channels == spec_.channels,
                "the transform makes ", tf.height, "x", tf.width, "x", tf.channels, " images, the model expects ",
                spec_.height, "x", spec_.width, "x", spec_.channels);
  data::LoaderOptions lo;
  lo.batch_size = spec_.batch_size;  // unused: the feed plans explicit batches
  lo.num_workers = workers_;
  lo.prefetch = queue_size_;
  lo.shuffle = false;
  lo.seed = options_.seed;
  lo.allocate = batch_allocator_for(options_.device);
  // On a GPU the images are uploaded a batch ahead on a copy stream.
  std::optional<Device> upload;
  if (options_.device.is_cuda() && options_.dtype == DType::f32) upload = options_.device;  // else feeds() converts on the host
  f = std::make_unique<BatchFeed>(d.dataset, tf, std::move(lo), upload);
  return *f;
}

Model::FeedGuard Model::begin_feeds(std::initializer_list<FeedKind> kinds, int workers, int queue_size) {
  CUTRAIN_CHECK(workers >= 0, "workers must be >= 0, got ", workers);
  CUTRAIN_CHECK(queue_size >= 1, "max_queue_size must be >= 1, got ", queue_size);
  for (FeedKind k : kinds) feeds_.erase(k);
  workers_ = workers;
  queue_size_ = queue_size;
  return FeedGuard{this, std::vector<FeedKind>(kinds)};
}

Model::FeedGuard::~FeedGuard() {
  for (FeedKind k : kinds) m->feeds_.erase(k);
}

void Model::plan_predict(const ImageData& d, int64_t n, const PredictOptions& o) {
  if (o.batch_size <= 0) return;  // predict() reports it
  int64_t batches = (n + o.batch_size - 1) / o.batch_size;
  if (o.steps > 0) batches = std::min(batches, o.steps);
  std::vector<std::vector<int64_t>> plan;
  for (int64_t i = 0; i < batches; ++i) {
    std::vector<int64_t>& rows = plan.emplace_back();
    for (int64_t k = i * o.batch_size; k < std::min(n, (i + 1) * o.batch_size); ++k) rows.push_back(k);
  }
  feed(FeedKind::predict, d).plan(epoch_, std::move(plan));
}

Model::Batch Model::take_batch(FeedKind kind, const ImageData& d, std::span<const int64_t> indices) {
  data::Batch b = feed(kind, d).take(epoch_, indices);
  Batch out{b.images, {}};
  if (kind != FeedKind::predict) out.targets = batch_targets(d, b.labels, indices);
  return out;
}

void Model::plan_batches(DataSource source, bool training, std::vector<std::vector<int64_t>> batches) {
  const std::optional<ImageData>& d = source == DataSource::main ? train_data_ : val_data_;
  if (!d.has_value()) return;  // train_batch / evaluate_batch will say so
  const FeedKind kind =
      training ? FeedKind::train : (source == DataSource::main ? FeedKind::main_eval : FeedKind::validation);
  feed(kind, *d).plan(epoch_, std::move(batches));
}

Targets Model::batch_targets(const ImageData& d, const Tensor& labels, std::span<const int64_t> indices) {
  Targets targets;
  const std::vector<std::string> names = output_names();
  for (const auto& [name, t] : d.targets)
    CUTRAIN_CHECK(std::find(names.begin(), names.end(), name) != names.end(), "the data has targets for '",
                  name, "', but the model has no output of that name");
  for (size_t i = 0; i < options_.losses.size(); ++i) {
    const LossSpec& l = options_.losses[i];
    if (l.target == TargetKind::input) continue;
    auto it = d.targets.find(names[i]);
    if (it != d.targets.end()) {
      targets[names[i]] = gather_rows(it->second, indices, names[i]);
    } else {
      CUTRAIN_CHECK(l.target == TargetKind::labels, "output '", names[i],
                    "' has a tensor target, but the data has no targets['", names[i], "']");
      targets[names[i]] = labels;
    }
  }
  return targets;
}

}  // namespace cutrain::train
