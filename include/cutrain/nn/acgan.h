// The discriminator of an auxiliary-classifier GAN (ACGAN) for 28x28x1
// images, as a two-output Network, and a real/fake data set to fit
// it with.
//
//   [conv 3x3 stride 2 -> leaky relu 0.2] per width -> flatten, then two heads:
//     "validity"  dense 1           real/fake logit [N, 1]
//     "class"     dense num_classes class logits   [N, C]
//
// Compiled Keras-style with a loss per output (train/acgan_losses.h):
//   validity: binary_crossentropy (sigmoid on the logit) against a 0/1
//             tensor target [N, 1] (1 = real);
//   class:    sparse_categorical_crossentropy against the integer label.
// Class weights per output (FitOptions::output_class_weight or
// train_on_batch's map) balance real/fake and the classes.
//
// Data for fit (acgan_real_fake_data): the first n samples are real images
// of a data set, the next n "generated" ones; the fake of sample i is real
// image i with its pixels' rows and columns cycled by a sample-dependent
// shift and its intensities inverted, so it keeps real image statistics but
// is trivially not a garment. Fakes keep the class of the image they came
// from, as an ACGAN's generator is conditioned on a class. The "validity"
// targets are 1 for real rows and 0 for fake ones.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cutrain/data/dataset.h"
#include "cutrain/nn/network.h"

namespace cutrain::nn {

struct AcganConfig {
  std::vector<int64_t> widths{16, 32};
  double leaky_slope = 0.2;
};

Network acgan_discriminator_network(graph::Graph& g, const NetworkSpec& spec, const AcganConfig& config);
NetworkBuilder acgan_discriminator_builder(AcganConfig config = {});

// Real samples [0, n) of `real` followed by their fakes [n, 2n).
class RealFakeDataset final : public data::Dataset {
 public:
  explicit RealFakeDataset(std::shared_ptr<const data::Dataset> real);
  int64_t size() const override { return 2 * real_->size(); }
  data::Sample get(int64_t index) const override;
  std::vector<std::string> class_names() const override { return real_->class_names(); }

 private:
  std::shared_ptr<const data::Dataset> real_;
};

// Validity targets of a RealFakeDataset over `real_size` real samples:
// [2 n, 1], 1 then 0, in `dtype`.
Tensor real_fake_targets(int64_t real_size, DType dtype = DType::f32);

}  // namespace cutrain::nn
