// Loader throughput (images/s) on Fashion-MNIST with the Inception train and
// eval preprocessing, resized to 75x75 and 299x299, batch 32.
//
// Work per image is the bilinear resample into S*S*3 floats plus the color
// and scaling passes; bytes written per image are S*S*3*4 (67 KB at 75,
// 1.07 MB at 299). Run: ./loader_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cutrain/data/dataset.h"
#include "cutrain/data/idx.h"
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

}  // namespace
