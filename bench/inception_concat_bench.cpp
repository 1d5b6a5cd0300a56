// The fused Inception concat against one copy per branch, at Inception V3's
// block outputs (batch 128): Mixed_5b 35x35 64/64/96/32, Mixed_6b 17x17
// 4x192, Mixed_7b 8x8 320/768/768/192.
//
//   Concat/fused        one launch writes every branch's slice of y
//   Concat/copies       one cudaMemcpy2DAsync per branch (the plain concat)
//   BnReluConcat/fused  one launch: a*x + b, ReLU, concat
//   BnReluConcat/split  per branch: batch_norm_apply(relu) into the branch's
//                       buffer, then its cudaMemcpy2DAsync (what runs without
//                       the fusion pass)
//   Split/fused         backward: one launch splits dy by the ReLU mask into
//                       every dx_b (times a_b)
//   Split/copies        backward of the plain concat: one 2-D copy per branch
// Counters: bytes_per_second of the bytes each variant must move at minimum
// (read every input once, write every output once: the fused variant's
// traffic; the unfused BN variant moves 2x more, which is the point) and
// roofline, the fraction of the measured 3.0 TB/s copy ceiling. Emulated build: a smoke run of the
// fused kernels at a small size.
#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "batch_norm.cuh"
#include "inception_concat.cuh"
#include "kernel_bench.h"

namespace {

using namespace cutrain;


void BM_EmuInceptionConcatSmoke(benchmark::State& state) {
  const std::vector<int64_t> ch{8, 8, 12, 4};
  const int64_t rows = 64;
  std::vector<std::vector<float>> x;
  const float* px[4];
  for (int i = 0; i < 4; ++i) {
    x.emplace_back(static_cast<size_t>(rows * ch[static_cast<size_t>(i)]), 0.25f);
    px[i] = x.back().data();
  }
  std::vector<float> y(static_cast<size_t>(rows * 32));
  for (auto _ : state) {
    kernels::emu::inception_concat_forward<float>(4, px, ch.data(), nullptr, nullptr, nullptr, rows, true, y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * rows * 32 * 2 * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_EmuInceptionConcatSmoke);

#if CUTRAIN_WITH_CUDA
using bench::DeviceArray;

struct Block {
  const char* name;
  int64_t hw;
  std::vector<int64_t> channels;
};
const std::vector<Block>& blocks() {
  static const std::vector<Block> b = {{"Mixed_5b", 35, {64, 64, 96, 32}},
                                       {"Mixed_6b", 17, {192, 192, 192, 192}},
                                       {"Mixed_7b", 8, {320, 768, 768, 192}}};
  return b;
}
constexpr int64_t kBatch = 128;

struct Buffers {
  int64_t rows, total = 0;
  std::vector<int64_t> ch;
  std::vector<std::unique_ptr<DeviceArray<float>>> x, a, b, dx;
  std::unique_ptr<DeviceArray<float>> y, dy, mean, invstd;
  explicit Buffers(const Block& blk) : rows(kBatch * blk.hw * blk.hw), ch(blk.channels) {
    int64_t max_c = 0;
    for (int64_t c : ch) {
      total += c;
      max_c = std::max(max_c, c);
      x.push_back(std::make_unique<DeviceArray<float>>(rows * c));
      dx.push_back(std::make_unique<DeviceArray<float>>(rows * c));
      a.push_back(std::make_unique<DeviceArray<float>>(c, 0.3f));
      b.push_back(std::make_unique<DeviceArray<float>>(c, 0.1f));
    }
    y = std::make_unique<DeviceArray<float>>(rows * total);
    dy = std::make_unique<DeviceArray<float>>(rows * total);
    mean = std::make_unique<DeviceArray<float>>(max_c, 0.0f);
    invstd = std::make_unique<DeviceArray<float>>(max_c, 0.2f);
  }
  int k() const { return static_cast<int>(ch.size()); }
};

enum Variant { kConcatFused, kConcatCopies, kBnFused, kBnSplit, kSplitFused, kSplitCopies };
const char* variant_name(int v) {
  static const char* n[] = {"Concat/fused", "Concat/copies", "BnReluConcat/fused",
                            "BnReluConcat/split", "Split/fused", "Split/copies"};
  return n[v];
}

void BM_InceptionConcat(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Block& blk = blocks()[static_cast<size_t>(state.range(0))];
  const int variant = static_cast<int>(state.range(1));
  state.SetLabel(std::string(blk.name) + " " + variant_name(variant));
  Buffers buf(blk);
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  const float* px[4];
  const float* pa[4];
  const float* pb[4];
  float* pdx[4];
  for (int i = 0; i < buf.k(); ++i) {
    px[i] = buf.x[static_cast<size_t>(i)]->p;
    pa[i] = buf.a[static_cast<size_t>(i)]->p;
    pb[i] = buf.b[static_cast<size_t>(i)]->p;
    pdx[i] = buf.dx[static_cast<size_t>(i)]->p;
  }
  auto copies_in = [&] {
    int64_t off = 0;
    for (int i = 0; i < buf.k(); ++i) {
      const size_t c = static_cast<size_t>(buf.ch[static_cast<size_t>(i)]);
      CUDA_CHECK(cudaMemcpy2DAsync(buf.y->p + off, static_cast<size_t>(buf.total) * sizeof(float), px[i],
                                   c * sizeof(float), c * sizeof(float), static_cast<size_t>(buf.rows),
                                   cudaMemcpyDeviceToDevice, s));
      off += static_cast<int64_t>(c);
    }
  };
  std::function<void()> run;
  switch (variant) {
    case kConcatFused:
      run = [&] { kernels::cuda::inception_concat_forward<float>(buf.k(), px, buf.ch.data(), nullptr, nullptr, nullptr, buf.rows, false, buf.y->p, s); };
      break;
    case kConcatCopies: run = copies_in; break;
    case kBnFused:
      run = [&] { kernels::cuda::inception_concat_forward<float>(buf.k(), px, buf.ch.data(), pa, pb, nullptr, buf.rows, true, buf.y->p, s); };
      break;
    case kBnSplit:
      run = [&] {
        for (int i = 0; i < buf.k(); ++i)
          kernels::cuda::batch_norm_apply<float>(px[i], buf.mean->p, buf.invstd->p, pa[i], pb[i], buf.rows,
                                                 buf.ch[static_cast<size_t>(i)], true, pdx[i], s);
        int64_t off = 0;
        for (int i = 0; i < buf.k(); ++i) {
          const size_t c = static_cast<size_t>(buf.ch[static_cast<size_t>(i)]);
          CUDA_CHECK(cudaMemcpy2DAsync(buf.y->p + off, static_cast<size_t>(buf.total) * sizeof(float), pdx[i],
                                       c * sizeof(float), c * sizeof(float), static_cast<size_t>(buf.rows),
                                       cudaMemcpyDeviceToDevice, s));
          off += static_cast<int64_t>(c);
        }
      };
      break;
    case kSplitFused:
      run = [&] { kernels::cuda::inception_concat_backward<float>(buf.k(), buf.ch.data(), buf.dy->p, buf.y->p, true, pa, buf.rows, pdx, s); };
      break;
    default:
      run = [&] {
        int64_t off = 0;
        for (int i = 0; i < buf.k(); ++i) {
          const size_t c = static_cast<size_t>(buf.ch[static_cast<size_t>(i)]);
          CUDA_CHECK(cudaMemcpy2DAsync(pdx[i], c * sizeof(float), buf.dy->p + off,
                                       static_cast<size_t>(buf.total) * sizeof(float), c * sizeof(float),
                                       static_cast<size_t>(buf.rows), cudaMemcpyDeviceToDevice, s));
          off += static_cast<int64_t>(c);
        }
      };
  }
  // Minimum traffic: every element of y (or dy) read or written once, plus
  // the branch side once; the ReLU-masked backward also reads y.
  double bytes = 2.0 * static_cast<double>(buf.rows * buf.total) * sizeof(float);
  if (variant == kSplitFused) bytes += static_cast<double>(buf.rows * buf.total) * sizeof(float);
  bench::time_median(state, s, bytes, run);
  CUDA_CHECK(cudaStreamDestroy(s));
}
BENCHMARK(BM_InceptionConcat)
    ->ArgsProduct({{0, 1, 2}, {kConcatFused, kConcatCopies, kBnFused, kBnSplit, kSplitFused, kSplitCopies}})
    ->ArgNames({"block", "variant"})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
