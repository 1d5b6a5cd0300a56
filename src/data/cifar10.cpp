#include "cutrain/data/cifar10.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cutrain/core/error.h"

namespace cutrain::data {

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

LabeledImages load_cifar10_batches(const std::vector<std::string>& files) {
  CUTRAIN_CHECK(!files.empty(), "load_cifar10_batches: no files given");
  std::vector<uint64_t> records;
  uint64_t total = 0;
  for (const std::string& f : files) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(f, ec);
    CUTRAIN_CHECK(!ec, "cannot read CIFAR-10 batch ", f, ": ", ec.message());
    CUTRAIN_CHECK(size % kCifarRecordBytes == 0, f, ": truncated CIFAR-10 batch: ", size,
                  " bytes is not a whole number of ", kCifarRecordBytes, "-byte records (",
                  size / kCifarRecordBytes, " records and ", size % kCifarRecordBytes,
                  " bytes left over)");
    records.push_back(size / kCifarRecordBytes);
    total += records.back();
  }
  LabeledImages out;
  out.images = Tensor::empty({static_cast<int64_t>(total), 32, 32, 3}, DType::u8);
  out.labels = Tensor::empty({static_cast<int64_t>(total)}, DType::i32);
  out.class_names = cifar10_class_names();
  auto* img = out.images.data<uint8_t>();
  auto* lab = out.labels.data<int32_t>();
  std::vector<uint8_t> rec(kCifarRecordBytes);
  int64_t n = 0;
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    std::ifstream in(files[fi], std::ios::binary);
    CUTRAIN_CHECK(in, "cannot open CIFAR-10 batch ", files[fi], ": ", std::strerror(errno));
    for (uint64_t r = 0; r < records[fi]; ++r, ++n) {
      in.read(reinterpret_cast<char*>(rec.data()), kCifarRecordBytes);
      CUTRAIN_CHECK(in.gcount() == kCifarRecordBytes, files[fi], ": truncated at record ", r,
                    " (file changed while reading?)");
      CUTRAIN_CHECK(rec[0] < 10, files[fi], ": record ", r, " has label ", int(rec[0]),
                    " (CIFAR-10 labels are 0..9; corrupt file or not CIFAR-10?)");
      lab[n] = rec[0];
      // Planar CHW -> interleaved HWC.
      uint8_t* dst = img + n * 3072;
      for (int p = 0; p < 1024; ++p) {
        for (int c = 0; c < 3; ++c) dst[p * 3 + c] = rec[1 + c * 1024 + p];
      }
    }
  }
  return out;
}

LabeledImages load_cifar10(Split split, const std::string& dir) {
  std::vector<std::string> files;
  if (split == Split::train) {
    for (int i = 1; i <= 5; ++i) {
      files.push_back(
          (std::filesystem::path(dir) / ("data_batch_" + std::to_string(i) + ".bin")).string());
    }
  } else {
    files.push_back((std::filesystem::path(dir) / "test_batch.bin").string());
  }
  return load_cifar10_batches(files);
}

}  // namespace cutrain::data
