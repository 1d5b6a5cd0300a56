#include "cutrain/train/image_data.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::train {

data::Transform resize_transform(int size, int channels, bool random_flip) {
  CUTRAIN_CHECK(size > 0 && (channels == 1 || channels == 3), "resize_transform: size ", size,
                " channels ", channels);
  data::Transform t;
  t.height = t.width = size;
  t.channels = channels;
  t.apply = [size, channels, random_flip](const data::Image& src, data::SampleRng& rng, float* out) {
    CUTRAIN_CHECK(src.channels == channels || (src.channels == 1 && channels == 3), "a ", src.channels,
                  "-channel image cannot become ", channels, " channels");
    const bool flip = random_flip && rng.bernoulli(0.5f);
    data::FloatImage im =
        data::crop_resize_to_float(src, data::Crop{0, 0, src.height, src.width}, size, size, flip);
    if (im.channels != channels) im = data::gray_to_rgb(im);
    data::scale_to_symmetric(im);
    std::copy(im.pixels.begin(), im.pixels.end(), out);
  };
  return t;
}

ImageData resize_image_data(std::shared_ptr<const data::Dataset> dataset, int size, int channels, bool flip) {
  return ImageData{std::move(dataset), resize_transform(size, channels, flip),
                   resize_transform(size, channels, false)};
}

ImageData inception_image_data(std::shared_ptr<const data::Dataset> dataset, int size, int channels, bool flip) {
  data::InceptionTrainOptions train;
  train.flip = flip;
  return ImageData{std::move(dataset), data::inception_train_transform(size, channels, train),
                   data::inception_eval_transform(size, channels, 0.875)};
}

}  // namespace cutrain::train
