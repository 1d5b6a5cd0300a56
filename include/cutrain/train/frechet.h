// The Fréchet distance between two sets of features (FID's formula, on the
// features of a classifier cutrain trains itself on Fashion-MNIST):
//   FD = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)),
// with Tr((S1 S2)^(1/2)) = Tr((S1^(1/2) S2 S1^(1/2))^(1/2)): both square roots
// are of symmetric positive semi-definite matrices, taken by eigen-decomposition
// (LAPACK dsyev), negative round-off eigenvalues clipped to 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/core/tensor.h"
#include "cutrain/data/idx.h"

namespace cutrain::train {

struct GaussianStats {
  int64_t dim = 0;
  int64_t count = 0;
  std::vector<double> mean;  // [dim]
  std::vector<double> cov;   // [dim, dim] row-major
};

// Mean and unbiased covariance (divisor N - 1, numpy.cov's default) of the
// rows of a float [N, dim] CPU tensor, N >= 2.
GaussianStats gaussian_stats(const Tensor& features);

double frechet_distance(const GaussianStats& a, const GaussianStats& b);

struct FeatureExtractorOptions {
  std::string cache_path;  // safetensors; reused when present, written after training
  int64_t train_steps = 600;
  int64_t batch = 100;
  double lr = 1e-3;  // Adam
  uint64_t seed = 1;
  bool verbose = true;
};

// nn::feature_classifier, trained (or loaded from the cache) on construction.
class FeatureExtractor {
 public:
  FeatureExtractor(const data::LabeledImages& train, const data::LabeledImages& test,
                   const FeatureExtractorOptions& options, Device device = Device::cpu());
  ~FeatureExtractor();
  FeatureExtractor(const FeatureExtractor&) = delete;
  FeatureExtractor& operator=(const FeatureExtractor&) = delete;

  // images: f32 [N, 28, 28, 1] in [-1, 1] -> f64 [N, feature_dim].
  Tensor features(const Tensor& images);
  double test_accuracy() const { return test_accuracy_; }
  bool loaded_from_cache() const { return loaded_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  double test_accuracy_ = 0;
  bool loaded_ = false;
};

}  // namespace cutrain::train
