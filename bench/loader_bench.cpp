// Loader throughput (images/s) on Fashion-MNIST with the Inception train and
// eval preprocessing, resized to 75x75 and 299x299, batch 32; and from a
// folder of JPEG photos (decode + Inception train preprocessing to 299x299),
// per worker thread, with the cores that would feed 3,000 img/s (an H100 at
// bf16 on Inception V3).
//
// Work per image is the bilinear resample into S*S*3 floats plus the color
// and scaling passes; bytes written per image are S*S*3*4 (67 KB at 75,
// 1.07 MB at 299). Run: ./loader_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <memory>
#include <string>

#include "cutrain/data/dataset.h"
#include "cutrain/data/decode.h"
#include "cutrain/data/idx.h"
#include "cutrain/data/image_folder.h"
#include "cutrain/core/philox.h"
#include "cutrain/data/loader.h"

namespace {

using namespace cutrain;
using namespace cutrain::data;

// CUTRAIN_FASHION_MNIST_DIR overrides the Debian package location.
std::string fashion_dir() {
  const char* env = std::getenv("CUTRAIN_FASHION_MNIST_DIR");
  return env ? env : kFashionMnistDir;
}

std::shared_ptr<const Dataset> fashion_train() {
  static const std::shared_ptr<const Dataset> ds = [] {
    return std::make_shared<TensorDataset>(load_fashion_mnist(Split::train, fashion_dir()));
  }();
  return ds;
}

// Args: output size, workers, train (1) or eval (0) preprocessing.
void BM_FashionMnistLoader(benchmark::State& state) {
  if (!std::filesystem::exists(fashion_dir())) {
    state.SkipWithError("dataset-fashion-mnist is not installed");
    return;
  }
  const int size = static_cast<int>(state.range(0));
  const int workers = static_cast<int>(state.range(1));
  const bool train = state.range(2) != 0;
  const int64_t batch = 32;
  Loader loader(fashion_train(),
                train ? inception_train_transform(size) : inception_eval_transform(size),
                {.batch_size = batch, .num_workers = workers, .prefetch = 4, .seed = 1});
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  int64_t images = 0;
  for (auto _ : state) {
    std::optional<Batch> b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      b = loader.next();
    }
    images += b->images.dim(0);
    benchmark::DoNotOptimize(b->images.raw_data());
  }
  state.SetItemsProcessed(images);
  state.SetBytesProcessed(images * size * size * 3 * static_cast<int64_t>(sizeof(float)));
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_FashionMnistLoader)
    ->ArgNames({"size", "workers", "train"})
    ->Args({75, 2, 1})
    ->Args({299, 2, 1})
    ->Args({75, 2, 0})
    ->Args({299, 2, 0})
    ->Args({299, 1, 1})
    ->UseRealTime()
    ->MinTime(2.0)
    ->Unit(benchmark::kMillisecond);

// A folder of JPEG photos the size of an average ImageNet image (500x375,
// quality 90), two classes, made once per process: smooth colour fields with
// noise, so the entropy decoder has real work (a flat image decodes far
// faster than a photo).
std::string jpeg_folder() {
  static const std::string root = [] {
    const std::string dir =
        (std::filesystem::temp_directory_path() / "cutrain_loader_bench_jpegs").string();
    for (int c = 0; c < 2; ++c) {
      const std::string sub = dir + "/class" + std::to_string(c);
      std::filesystem::create_directories(sub);
      for (int i = 0; i < 64; ++i) {
        const std::string path = sub + "/" + std::to_string(i) + ".jpg";
        if (std::filesystem::exists(path)) continue;
        Image im{375, 500, 3, std::vector<uint8_t>(375 * 500 * 3)};
        for (int y = 0; y < 375; ++y)
          for (int x = 0; x < 500; ++x) {
            const Philox4x32 r = philox4x32(static_cast<uint64_t>(y) * 500 + x, static_cast<uint64_t>(i), c);
            for (int k = 0; k < 3; ++k) {
              const int smooth = (x * (k + 1) + y * (3 - k) + i * 40) % 256;
              const int v = smooth + static_cast<int>(r.v[k] % 48) - 24;
              im.pixels[(static_cast<std::size_t>(y) * 500 + x) * 3 + k] = static_cast<uint8_t>(std::clamp(v, 0, 255));
            }
          }
        const std::vector<uint8_t> bytes = encode_jpeg(im, 90);
        std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                      static_cast<std::streamsize>(bytes.size()));
      }
    }
    return dir;
  }();
  return root;
}

// Arg: workers. Counters: images/s in all, per worker, and the workers
// (cores) needed for 3,000 img/s at that rate per worker.
void BM_JpegFolderInception299(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  auto ds = std::make_shared<ImageFolderDataset>(jpeg_folder());
  Loader loader(ds, inception_train_transform(299),
                {.batch_size = 32, .num_workers = workers, .prefetch = 2 * workers, .seed = 1});
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  int64_t images = 0;
  for (auto _ : state) {
    std::optional<Batch> b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      b = loader.next();
    }
    images += b->images.dim(0);
    benchmark::DoNotOptimize(b->images.raw_data());
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
  state.counters["images/s/worker"] =
      benchmark::Counter(static_cast<double>(images) / workers, benchmark::Counter::kIsRate);
  // kIsRate | kInvert reports time / value: with value = images / (3000 *
  // workers) that is 3000 / (images/s per worker), the cores needed.
  state.counters["cores_for_3000"] = benchmark::Counter(static_cast<double>(images) / (3000.0 * workers),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_JpegFolderInception299)
    ->ArgNames({"workers"})
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->MinTime(3.0)
    ->Unit(benchmark::kMillisecond);

}  // namespace
