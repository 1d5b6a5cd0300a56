#include "cutrain/data/dataset.h"

#include <algorithm>
#include <cstring>

#include "cutrain/core/error.h"
#include "cutrain/core/philox.h"

namespace cutrain::data {

TensorDataset::TensorDataset(Tensor images, Tensor labels, std::vector<std::string> class_names)
    : images_(std::move(images)), labels_(std::move(labels)), class_names_(std::move(class_names)) {
  CUTRAIN_CHECK(images_.defined() && images_.dtype() == DType::u8 && images_.rank() == 4 &&
                    images_.is_contiguous() && images_.device().is_cpu(),
                "TensorDataset: images must be a contiguous CPU u8 tensor [N, H, W, C]");
  CUTRAIN_CHECK(labels_.defined() && labels_.dtype() == DType::i32 && labels_.rank() == 1 &&
                    labels_.is_contiguous() && labels_.device().is_cpu(),
                "TensorDataset: labels must be a contiguous CPU i32 tensor [N]");
  CUTRAIN_CHECK(labels_.dim(0) == images_.dim(0), "TensorDataset: ", images_.dim(0), " images but ",
                labels_.dim(0), " labels");
}

TensorDataset::TensorDataset(const LabeledImages& set)
    : TensorDataset(set.images, set.labels, set.class_names) {}

Sample TensorDataset::get(int64_t index) const {
  CUTRAIN_CHECK(index >= 0 && index < size(), "TensorDataset: index ", index, " out of range for ",
                size(), " samples");
  Sample s;
  s.image.height = static_cast<int>(images_.dim(1));
  s.image.width = static_cast<int>(images_.dim(2));
  s.image.channels = static_cast<int>(images_.dim(3));
  const std::size_t n = static_cast<std::size_t>(s.image.height) * s.image.width * s.image.channels;
  const uint8_t* src = images_.data<uint8_t>() + static_cast<std::size_t>(index) * n;
  s.image.pixels.assign(src, src + n);
  s.label = labels_.data<int32_t>()[index];
  return s;
}

SyntheticDataset::SyntheticDataset(SyntheticOptions options) : options_(options) {
  CUTRAIN_CHECK(options_.size >= 0 && options_.height > 0 && options_.width > 0 &&
                    (options_.channels == 1 || options_.channels == 3) && options_.num_classes > 0,
                "SyntheticDataset: bad options (size ", options_.size, ", ", options_.height, "x",
                options_.width, "x", options_.channels, ", ", options_.num_classes, " classes)");
  const std::size_t n =
      static_cast<std::size_t>(options_.height) * options_.width * options_.channels;
  patterns_.resize(n * options_.num_classes);
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const Philox4x32 r = philox4x32(i / 4, 1, options_.seed);
    patterns_[i] = (r.v[i % 4] & 1) ? 1 : -1;
  }
}

Sample SyntheticDataset::get(int64_t index) const {
  CUTRAIN_CHECK(index >= 0 && index < size(), "SyntheticDataset: index ", index,
                " out of range for ", size(), " samples");
  const auto i = static_cast<uint64_t>(index);
  Sample s;
  s.label = static_cast<int32_t>(philox4x32(i, 2, options_.seed).v[0] %
                                 static_cast<uint32_t>(options_.num_classes));
  s.image.height = options_.height;
  s.image.width = options_.width;
  s.image.channels = options_.channels;
  const std::size_t n =
      static_cast<std::size_t>(options_.height) * options_.width * options_.channels;
  s.image.pixels.resize(n);
  const int8_t* pattern = patterns_.data() + n * static_cast<std::size_t>(s.label);
  const float amp = 60.0f;
  for (std::size_t p = 0; p < n; p += 4) {
    // Counter (p/4, 3 + index<<8) gives every sample its own noise stream.
    const Philox4x32 r = philox4x32(p / 4, 3 + (i << 8), options_.seed);
    for (std::size_t k = 0; k < 4 && p + k < n; ++k) {
      const float noise = (philox_uniform(r.v[k]) * 2.0f - 1.0f) * amp * options_.noise;
      const float v = 128.0f + amp * pattern[p + k] + noise;
      s.image.pixels[p + k] = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, v) + 0.5f));
    }
  }
  return s;
}

}  // namespace cutrain::data
