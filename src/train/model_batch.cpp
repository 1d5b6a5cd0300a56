// Model: assembling a batch from an ImageData (images through the transform,
// targets per output from the data set's labels or ImageData::targets).
#include <exception>
#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

namespace {

// Rows `indices` of a per-sample tensor [N, ...] (on the host).
Tensor gather_rows(const Tensor& all, std::span<const int64_t> indices, const std::string& output) {
  const Tensor src = all.device().is_cpu() ? all : all.to(Device::cpu());
  std::vector<int64_t> dims = src.shape().dims();
  CUTRAIN_CHECK(!dims.empty(), "targets['", output, "'] must have a sample dimension, got a scalar");
  const int64_t n = dims[0];
  dims[0] = static_cast<int64_t>(indices.size());
  Tensor out = Tensor::empty(Shape(dims), src.dtype());
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    CUTRAIN_CHECK(i >= 0 && i < n, "targets['", output, "'] has ", n, " rows, sample ", i, " asked for");
    const auto row = static_cast<int64_t>(k);
    out.slice(0, row, row + 1).copy_from(src.slice(0, i, i + 1));
  }
  return out;
}

}  // namespace

Model::Batch Model::make_batch(const ImageData& d, bool train, std::span<const int64_t> indices,
                               bool with_targets) {
  const data::Transform& tf = train ? d.train_transform : d.eval_transform;
  CUTRAIN_CHECK(d.dataset != nullptr && tf.apply != nullptr, "the data source has no dataset or transform");
  CUTRAIN_CHECK(tf.height == spec_.height && tf.width == spec_.width && tf.channels == spec_.channels,
                "the transform makes ", tf.height, "x", tf.width, "x", tf.channels, " images, the model expects ",
                spec_.height, "x", spec_.width, "x", spec_.channels);
  const int64_t n = static_cast<int64_t>(indices.size());
  Tensor images = Tensor::empty({n, tf.height, tf.width, tf.channels}, DType::f32);
  Tensor labels = Tensor::empty({n}, DType::i32);
  const int64_t per = int64_t{tf.height} * tf.width * tf.channels;
  float* px = images.data<float>();
  int32_t* lb = labels.data<int32_t>();
  std::exception_ptr error;
  std::mutex mu;
#pragma omp parallel for schedule(dynamic)
  for (int64_t k = 0; k < n; ++k) {
    try {
      const int64_t idx = indices[static_cast<size_t>(k)];
      const data::Sample smp = d.dataset->get(idx);
      data::SampleRng rng(options_.seed, static_cast<uint64_t>(epoch_), static_cast<uint64_t>(idx));
      tf.apply(smp.image, rng, px + k * per);
      lb[k] = smp.label;
    } catch (...) {
      std::lock_guard lock(mu);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);

  Batch b{images, {}};
  if (!with_targets) return b;
  const std::vector<std::string> names = output_names();
  for (const auto& [name, t] : d.targets)
    CUTRAIN_CHECK(std::find(names.begin(), names.end(), name) != names.end(), "the data has targets for '",
                  name, "', but the model has no output of that name");
  for (size_t i = 0; i < options_.losses.size(); ++i) {
    const LossSpec& l = options_.losses[i];
    if (l.target == TargetKind::input) continue;
    auto it = d.targets.find(names[i]);
    if (it != d.targets.end()) {
      b.targets[names[i]] = gather_rows(it->second, indices, names[i]);
    } else {
      CUTRAIN_CHECK(l.target == TargetKind::labels, "output '", names[i],
                    "' has a tensor target, but the data has no targets['", names[i], "']");
      b.targets[names[i]] = labels;
    }
  }
  return b;
}

}  // namespace cutrain::train
