#include "cutrain/train/acgan_losses.h"

namespace cutrain::train {

std::vector<LossSpec> acgan_losses(double validity_weight, double class_weight) {
  LossSpec validity;
  validity.name = "binary_crossentropy";
  validity.weight = validity_weight;
  validity.target = TargetKind::tensor;
  LossSpec cls;
  cls.name = "sparse_categorical_crossentropy";
  cls.weight = class_weight;
  return {validity, cls};
}

}  // namespace cutrain::train
