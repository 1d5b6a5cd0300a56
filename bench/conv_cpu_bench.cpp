// CPU convolution throughput over every distinct convolution of Inception V3
// at 299x299 (float, NHWC/OHWI), at batch 8 and in a batch-1 smoke mode.
//
//   conv_cpu_bench                                   all cases, batch 8, plus the network total
//   conv_cpu_bench --benchmark_filter=smoke          batch 1, runs in seconds
//   python3 bench/conv_cpu_torch.py --cutrain build/bench/conv_cpu_bench
//                                                    the same shapes in PyTorch, side by side
//
// FLOPs per convolution: 2 * N * OH * OW * O * kh * kw * C (bias adds not
// counted). `uses` is how often the shape occurs in the network without the
// aux head; the "total" benchmark times each distinct shape once and weighs
// it by `uses`, which gives the throughput of one forward pass's
// convolutions (5.713 G multiply-adds per image, REFERENCE.md).
// conv_cpu_torch.py reads the table below, so both time the same shapes.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cutrain/bench/counters.h"
#include "cutrain/core/error.h"
#include "cutrain/core/tensor.h"
#include "cutrain/cpu/conv2d.h"
#include "cutrain/ops/padding.h"

using namespace cutrain;

namespace {

struct ConvShape {
  const char* name;  // first use in the network (slim scope names)
  int64_t h, w, c;   // input
  int64_t kh, kw, stride;
  const char* padding;
  int64_t o;
  bool bias;
  int uses;  // occurrences in the network without the aux head
  bool aux;  // only in the aux head
};

// clang-format off
// name, H, W, C, kh, kw, stride, padding, O, bias, uses, aux
const ConvShape kInceptionV3Convs[] = {
    {"Conv2d_1a_3x3", 299, 299, 3, 3, 3, 2, "VALID", 32, false, 1, false},
    {"Conv2d_2a_3x3", 149, 149, 32, 3, 3, 1, "VALID", 32, false, 1, false},
    {"Conv2d_2b_3x3", 147, 147, 32, 3, 3, 1, "SAME", 64, false, 1, false},
    {"Conv2d_3b_1x1", 73, 73, 64, 1, 1, 1, "VALID", 80, false, 1, false},
    {"Conv2d_4a_3x3", 73, 73, 80, 3, 3, 1, "VALID", 192, false, 1, false},
    {"Mixed_5b/Branch_0/Conv2d_0a_1x1", 35, 35, 192, 1, 1, 1, "SAME", 64, false, 2, false},
    {"Mixed_5b/Branch_1/Conv2d_0a_1x1", 35, 35, 192, 1, 1, 1, "SAME", 48, false, 1, false},
    {"Mixed_5b/Branch_1/Conv2d_0b_5x5", 35, 35, 48, 5, 5, 1, "SAME", 64, false, 3, false},
    {"Mixed_5b/Branch_2/Conv2d_0b_3x3", 35, 35, 64, 3, 3, 1, "SAME", 96, false, 4, false},
    {"Mixed_5b/Branch_2/Conv2d_0c_3x3", 35, 35, 96, 3, 3, 1, "SAME", 96, false, 3, false},
    {"Mixed_5b/Branch_3/Conv2d_0b_1x1", 35, 35, 192, 1, 1, 1, "SAME", 32, false, 1, false},
    {"Mixed_5c/Branch_0/Conv2d_0a_1x1", 35, 35, 256, 1, 1, 1, "SAME", 64, false, 3, false},
    {"Mixed_5c/Branch_1/Conv2d_0a_1x1", 35, 35, 256, 1, 1, 1, "SAME", 48, false, 1, false},
    {"Mixed_5d/Branch_0/Conv2d_0a_1x1", 35, 35, 288, 1, 1, 1, "SAME", 64, false, 4, false},
    {"Mixed_5d/Branch_1/Conv2d_0a_1x1", 35, 35, 288, 1, 1, 1, "SAME", 48, false, 1, false},
    {"Mixed_6a/Branch_0/Conv2d_1a_1x1", 35, 35, 288, 3, 3, 2, "VALID", 384, false, 1, false},
    {"Mixed_6a/Branch_1/Conv2d_1a_1x1", 35, 35, 96, 3, 3, 2, "VALID", 96, false, 1, false},
    {"Mixed_6b/Branch_0/Conv2d_0a_1x1", 17, 17, 768, 1, 1, 1, "SAME", 192, false, 12, false},
    {"Mixed_6b/Branch_1/Conv2d_0a_1x1", 17, 17, 768, 1, 1, 1, "SAME", 128, false, 2, false},
    {"Mixed_6b/Branch_1/Conv2d_0b_1x7", 17, 17, 128, 1, 7, 1, "SAME", 128, false, 2, false},
    {"Mixed_6b/Branch_1/Conv2d_0c_7x1", 17, 17, 128, 7, 1, 1, "SAME", 192, false, 1, false},
    {"Mixed_6b/Branch_2/Conv2d_0b_7x1", 17, 17, 128, 7, 1, 1, "SAME", 128, false, 2, false},
    {"Mixed_6b/Branch_2/Conv2d_0e_1x7", 17, 17, 128, 1, 7, 1, "SAME", 192, false, 1, false},
    {"Mixed_6c/Branch_1/Conv2d_0a_1x1", 17, 17, 768, 1, 1, 1, "SAME", 160, false, 4, false},
    {"Mixed_6c/Branch_1/Conv2d_0b_1x7", 17, 17, 160, 1, 7, 1, "SAME", 160, false, 4, false},
    {"Mixed_6c/Branch_1/Conv2d_0c_7x1", 17, 17, 160, 7, 1, 1, "SAME", 192, false, 2, false},
    {"Mixed_6c/Branch_2/Conv2d_0b_7x1", 17, 17, 160, 7, 1, 1, "SAME", 160, false, 4, false},
    {"Mixed_6c/Branch_2/Conv2d_0e_1x7", 17, 17, 160, 1, 7, 1, "SAME", 192, false, 2, false},
    {"Mixed_6e/Branch_1/Conv2d_0b_1x7", 17, 17, 192, 1, 7, 1, "SAME", 192, false, 4, false},
    {"Mixed_6e/Branch_1/Conv2d_0c_7x1", 17, 17, 192, 7, 1, 1, "SAME", 192, false, 4, false},
    {"Mixed_7a/Branch_0/Conv2d_1a_3x3", 17, 17, 192, 3, 3, 2, "VALID", 320, false, 1, false},
    {"Mixed_7a/Branch_1/Conv2d_1a_3x3", 17, 17, 192, 3, 3, 2, "VALID", 192, false, 1, false},
    {"Mixed_7b/Branch_0/Conv2d_0a_1x1", 8, 8, 1280, 1, 1, 1, "SAME", 320, false, 1, false},
    {"Mixed_7b/Branch_1/Conv2d_0a_1x1", 8, 8, 1280, 1, 1, 1, "SAME", 384, false, 1, false},
    {"Mixed_7b/Branch_1/Conv2d_0b_1x3", 8, 8, 384, 1, 3, 1, "SAME", 384, false, 4, false},
    {"Mixed_7b/Branch_1/Conv2d_0c_3x1", 8, 8, 384, 3, 1, 1, "SAME", 384, false, 4, false},
    {"Mixed_7b/Branch_2/Conv2d_0a_1x1", 8, 8, 1280, 1, 1, 1, "SAME", 448, false, 1, false},
    {"Mixed_7b/Branch_2/Conv2d_0b_3x3", 8, 8, 448, 3, 3, 1, "SAME", 384, false, 2, false},
    {"Mixed_7b/Branch_3/Conv2d_0b_1x1", 8, 8, 1280, 1, 1, 1, "SAME", 192, false, 1, false},
    {"Mixed_7c/Branch_0/Conv2d_0a_1x1", 8, 8, 2048, 1, 1, 1, "SAME", 320, false, 1, false},
    {"Mixed_7c/Branch_1/Conv2d_0a_1x1", 8, 8, 2048, 1, 1, 1, "SAME", 384, false, 1, false},
    {"Mixed_7c/Branch_2/Conv2d_0a_1x1", 8, 8, 2048, 1, 1, 1, "SAME", 448, false, 1, false},
    {"Mixed_7c/Branch_3/Conv2d_0b_1x1", 8, 8, 2048, 1, 1, 1, "SAME", 192, false, 1, false},
    {"Logits/Conv2d_1c_1x1", 1, 1, 2048, 1, 1, 1, "VALID", 1001, true, 1, false},
    {"AuxLogits/Conv2d_1b_1x1", 5, 5, 768, 1, 1, 1, "SAME", 128, false, 1, true},
    {"AuxLogits/Conv2d_2a_5x5", 5, 5, 128, 5, 5, 1, "VALID", 768, false, 1, true},
    {"AuxLogits/Conv2d_2b_1x1", 1, 1, 768, 1, 1, 1, "SAME", 1001, true, 1, true},
};
// clang-format on

constexpr int64_t kBatch = 8;
constexpr int64_t kForwardMacsPerImage = 5'713'218'144;  // REFERENCE.md section 1

struct Prepared {
  ops::Window2d win;
  Tensor x, w, b, y;
  double flops = 0;
};

Prepared prepare(const ConvShape& s, int64_t n) {
  ops::Attrs a{{"strides", std::vector<int64_t>{s.stride, s.stride}}, {"padding", std::string(s.padding)}};
  Prepared p;
  p.win = ops::window_2d(a, s.h, s.w, s.kh, s.kw);
  p.x = Tensor::empty({n, s.h, s.w, s.c}, DType::f32);
  p.x.uniform(-1, 1, 1);
  p.w = Tensor::empty({s.o, s.kh, s.kw, s.c}, DType::f32);
  p.w.uniform(-0.1, 0.1, 2);
  if (s.bias) p.b = Tensor::zeros({s.o}, DType::f32);
  p.y = Tensor::empty({n, p.win.out_h, p.win.out_w, s.o}, DType::f32);
  p.flops = 2.0 * static_cast<double>(n * p.win.out_h * p.win.out_w * s.o * s.kh * s.kw * s.c);
  return p;
}

void run(const Prepared& p) { cpu::conv2d_forward("conv2d", params::Conv2d{p.x.dim(0), p.x.dim(3), p.w.dim(0), p.win}, p.x, p.w, p.b, p.y); }

void set_counters(benchmark::State& state, double flops) {
  cutrain::bench::report_work(state, 0, flops);
  state.counters["GFLOP"] = flops / 1e9;
}

void BM_Conv(benchmark::State& state, const ConvShape* s, int64_t n, bool warm_up) {
  const Prepared p = prepare(*s, n);
  if (warm_up) run(p);
  for (auto _ : state) {
    run(p);
    benchmark::DoNotOptimize(p.y.raw_data());
  }
  set_counters(state, p.flops);
}

// Every distinct shape once, weighted by its uses: one forward pass's convolutions.
void BM_Total(benchmark::State& state, int64_t n) {
  std::vector<Prepared> ps;
  double macs_per_image = 0;
  for (const ConvShape& s : kInceptionV3Convs) {
    if (s.aux) continue;
    ps.push_back(prepare(s, n));
    macs_per_image += ps.back().flops / 2 / static_cast<double>(n) * s.uses;
  }
  CUTRAIN_CHECK(static_cast<int64_t>(macs_per_image) == kForwardMacsPerImage,
                "the table covers ", macs_per_image, " multiply-adds per image, the network has ",
                kForwardMacsPerImage);
  run(ps[0]);
  double seconds = 0, flops = 0;
  for (auto _ : state) {
    size_t i = 0;
    for (const ConvShape& s : kInceptionV3Convs) {
      if (s.aux) continue;
      const Prepared& p = ps[i++];
      const auto t0 = std::chrono::steady_clock::now();
      run(p);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * s.uses;
      flops += p.flops * s.uses;
    }
  }
  state.counters["network_GFLOP"] = flops / static_cast<double>(state.iterations()) / 1e9;
  state.counters["network_seconds"] = seconds / static_cast<double>(state.iterations());
  state.counters["network_GFLOP/s"] = flops / seconds / 1e9;
}

int register_all() {
  for (const ConvShape& s : kInceptionV3Convs) {
    benchmark::RegisterBenchmark((std::string("conv/batch8/") + s.name).c_str(), BM_Conv, &s, kBatch, true)
        ->Iterations(1)->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("conv/batch8/total", BM_Total, kBatch)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
  for (const ConvShape& s : kInceptionV3Convs) {
    benchmark::RegisterBenchmark((std::string("smoke/batch1/") + s.name).c_str(), BM_Conv, &s, int64_t{1}, false)
        ->Iterations(1)->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("smoke/batch1/total", BM_Total, int64_t{1})->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
  return 0;
}

const int kRegistered = register_all();

}  // namespace
