// Simple transforms for small images (Fashion-MNIST, CIFAR-10, synthetic):
// the whole image resized (bilinear) to size x size, optionally flipped at
// random, scaled to [-1, 1]; gray sources are replicated when 3 channels are
// asked for. The Inception crops (data/transforms.h) cut away too much of a
// 28x28 garment for a short run; these keep the whole picture.
#pragma once

#include <memory>

#include "cutrain/data/transforms.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

data::Transform resize_transform(int size, int channels, bool random_flip);

// Train transform with random flips (when `flip`), eval transform without.
ImageData resize_image_data(std::shared_ptr<const data::Dataset> dataset, int size, int channels,
                            bool flip = true);

// Slim's Inception preprocessing (data/transforms.h): for training a random
// crop by area 0.05-1 and aspect 3/4-4/3, a random flip (when `flip`) and
// colour distortion; for evaluation the central crop of 0.875. Photos at
// 299x299, not 28x28 garments.
ImageData inception_image_data(std::shared_ptr<const data::Dataset> dataset, int size, int channels,
                               bool flip = true);

}  // namespace cutrain::train
