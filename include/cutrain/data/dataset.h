// Datasets: indexable collections of (8-bit HWC image, integer label).
//
// get(i) is called concurrently from loader worker threads, so
// implementations must be safe for concurrent const use. Decoding (image
// folders) happens in get(), on the workers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/data/idx.h"
#include "cutrain/data/image.h"

namespace cutrain::data {

struct Sample {
  Image image;
  int32_t label = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Sample get(int64_t index) const = 0;
  virtual std::vector<std::string> class_names() const { return {}; }
};

// Images already in memory: u8 [N, H, W, C] and i32 [N] (IDX, CIFAR-10).
class TensorDataset final : public Dataset {
 public:
  TensorDataset(Tensor images, Tensor labels, std::vector<std::string> class_names = {});
  explicit TensorDataset(const LabeledImages& set);
  int64_t size() const override { return images_.dim(0); }
  Sample get(int64_t index) const override;
  std::vector<std::string> class_names() const override { return class_names_; }

 private:
  Tensor images_;
  Tensor labels_;
  std::vector<std::string> class_names_;
};

// Random images whose label is learnable: each class has a fixed random
// pattern; sample i shows its class pattern plus per-sample noise. Nothing
// is stored per sample, so any size costs no memory (benchmarks).
struct SyntheticOptions {
  int64_t size = 1024;
  int height = 32;
  int width = 32;
  int channels = 3;
  int num_classes = 10;
  uint64_t seed = 0;
  float noise = 0.5f;  // noise amplitude relative to the pattern
};

class SyntheticDataset final : public Dataset {
 public:
  explicit SyntheticDataset(SyntheticOptions options = {});
  int64_t size() const override { return options_.size; }
  Sample get(int64_t index) const override;

 private:
  SyntheticOptions options_;
  std::vector<int8_t> patterns_;  // [num_classes, H*W*C], values in {-1, +1}
};

}  // namespace cutrain::data
