// CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes
// (1024 R, then 1024 G, then 1024 B, each a row-major 32x32 plane).
#pragma once

#include <string>
#include <vector>

#include "cutrain/data/idx.h"  // LabeledImages, Split

namespace cutrain::data {

inline constexpr int kCifarRecordBytes = 1 + 3 * 32 * 32;

const std::vector<std::string>& cifar10_class_names();

// Concatenates the batches; images u8 [N, 32, 32, 3] (HWC), labels i32 [N].
// Throws cutrain::Error naming the file for a size that is not a whole number
// of records (truncated file) or a label outside 0..9.
LabeledImages load_cifar10_batches(const std::vector<std::string>& files);

// `<dir>/data_batch_{1..5}.bin` (train) or `<dir>/test_batch.bin` (test), the
// layout of the official cifar-10-batches-bin archive.
LabeledImages load_cifar10(Split split, const std::string& dir);

}  // namespace cutrain::data
