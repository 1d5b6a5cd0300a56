// The losses of the ACGAN discriminator (nn/acgan.h), one per output.
#pragma once

#include <vector>

#include "cutrain/train/losses_api.h"

namespace cutrain::train {

// {validity: binary_crossentropy (tensor target) with validity_weight,
//  class: sparse_categorical_crossentropy (labels) with class_weight}.
std::vector<LossSpec> acgan_losses(double validity_weight = 1.0, double class_weight = 1.0);

}  // namespace cutrain::train
