// Inception V3 with TF-slim's topology, scope names and defaults
// (nets/inception_v3.py): every parameter lives under "InceptionV3/", every
// slim endpoint (Conv2d_1a_3x3 ... Mixed_7c, AuxLogits, AvgPool_1a or
// global_pool, PreLogits, Logits, Predictions) is in Model::endpoints.
//
// The input is [batch_size, image_size, image_size, channels], fixed at build
// time: build one model per batch size. Minimum input: 75x75, 107x107 with
// the aux head. Small inputs shrink the final pool and the aux conv kernel
// (slim's _reduced_kernel_size_for_small_input), which shows in their scope
// names (Logits/AvgPool_1a_3x3 at 139x139).
#pragma once

#include <cstdint>

#include "cutrain/nn/model.h"

namespace cutrain::nn {

struct InceptionV3Options {
  int64_t num_classes = 1000;  // 0: no classifier (the model ends at AvgPool_1a / global_pool)
  int64_t image_size = 299;    // H = W
  int64_t channels = 3;
  int64_t batch_size = 32;
  bool is_training = true;  // Model::training (the default RunOptions)
  double dropout_keep_prob = 0.8;
  int64_t min_depth = 16;
  double depth_multiplier = 1.0;  // must be > 0
  bool spatial_squeeze = true;
  bool create_aux_logits = true;
  bool global_pool = false;
  bool bn_gamma = false;           // torchvision-style batch norm with a scale
  bool torchvision_pools = false;  // 3x3 average pools count padding (count_include_pad)
  uint64_t seed = 0;
  bool initialize = true;  // false: randomly initialized weights are zeros (shape-only builds)
  DType dtype = DType::f32;

  // torchvision's inception_v3 in eval mode (the preset converted torchvision
  // weights need, tools/convert_torchvision_inception.py): gamma in batch
  // norm, 3x3 average pools that count padding, inference mode, no dropout,
  // and initialize = false since the weights come from the file. Feed inputs
  // in [-1, 1] (torchvision's transform_input=False).
  static InceptionV3Options torchvision(int64_t num_classes = 1000, int64_t image_size = 299,
                                        int64_t batch_size = 1);
};

Model inception_v3(const InceptionV3Options& options = {});

// Smallest image_size inception_v3 accepts (75, or 107 with the aux head).
int64_t inception_v3_min_image_size(bool create_aux_logits);

}  // namespace cutrain::nn
