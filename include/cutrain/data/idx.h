// IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed, and the
// Fashion-MNIST loader.
//
// IDX: big-endian magic 0x0000TTNN (TT = 0x08 for unsigned bytes, NN = number
// of dimensions), NN big-endian uint32 dimensions, then the bytes.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/data/image.h"

namespace cutrain::data {

// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

enum class Split { train, test };

// Images u8 [N, H, W, C] and labels i32 [N].
struct LabeledImages {
  Tensor images;
  Tensor labels;
  std::vector<std::string> class_names;
};

// The whole file as a u8 tensor shaped by its dimensions. Reads gzip files and
// plain files alike. Throws cutrain::Error naming the file on a wrong magic,
// unsupported element type, an item (the dimensions after the first) above
// `limits`, truncated data, or bytes after the data or after the gzip stream.
Tensor read_idx(const std::string& path, const ImageLimits& limits = {});

// Reads `<dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`: images
// [N, 28, 28, 1], labels in 0..9; checks that the counts agree.
LabeledImages load_fashion_mnist(Split split, const std::string& dir = kFashionMnistDir);

// Images IDX file (3 dims) and labels IDX file (1 dim) of any MNIST-like set.
LabeledImages load_idx_pair(const std::string& images_path, const std::string& labels_path,
                            int num_classes);

const std::vector<std::string>& fashion_mnist_class_names();

}  // namespace cutrain::data
