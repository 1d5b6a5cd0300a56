// cuDNN convolutions over every Inception V3 convolution shape, batch 128
// at 299x299, fp32 exact and TF32: forward, backward data and backward filter,
// timed with CUDA events, FLOP/s and fraction of the device's peak as
// counters. A summary benchmark reports the whole network's convolution time
// per training step (each shape weighted by its count). Skips without a GPU.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "cutrain/core/device.h"
#include "inception_convs.h"
#if CUTRAIN_WITH_CUDA
#include <cuda_runtime.h>

#include "cutrain/core/tensor.h"
#include "cutrain/cuda/check.h"
#include "cutrain/cuda/conv.h"
#endif

namespace {

using cutrain::bench::ConvShape;
constexpr int kBatch = 128;

#if CUTRAIN_WITH_CUDA
using namespace cutrain;

cuda::ConvGeometry geometry(const ConvShape& s, int n) {
  cuda::ConvGeometry g;
  g.n = n, g.h = s.h, g.w = s.w, g.c = s.c, g.o = s.o, g.kh = s.kh, g.kw = s.kw, g.stride_h = g.stride_w = s.stride;
  if (s.same) {
    g.oh = (s.h + s.stride - 1) / s.stride, g.ow = (s.w + s.stride - 1) / s.stride;
    const int ph = std::max((g.oh - 1) * s.stride + s.kh - s.h, 0), pw = std::max((g.ow - 1) * s.stride + s.kw - s.w, 0);
    g.pad_top = ph / 2, g.pad_bottom = ph - ph / 2, g.pad_left = pw / 2, g.pad_right = pw - pw / 2;
  } else {
    g.oh = (s.h - s.kh) / s.stride + 1, g.ow = (s.w - s.kw) / s.stride + 1;
  }
  return g;
}

struct Buffers {
  Tensor x, w, y, dy, dx, dw;
};

Buffers buffers(const cuda::ConvGeometry& g, const Stream& st) {
  const Device d = Device::cuda(0);
  Buffers b;
  b.x = Tensor::empty({g.n, g.h, g.w, g.c}, DType::f32, d, st);
  b.w = Tensor::empty({g.o, g.kh, g.kw, g.c}, DType::f32, d, st);
  b.y = Tensor::empty({g.n, g.oh, g.ow, g.o}, DType::f32, d, st);
  b.dy = Tensor::empty(b.y.shape(), DType::f32, d, st);
  b.dx = Tensor::empty(b.x.shape(), DType::f32, d, st);
  b.dw = Tensor::empty(b.w.shape(), DType::f32, d, st);
  b.x.uniform(-1, 1, 1, st);  // random data: zeros run faster than real inputs
  b.w.uniform(-1, 1, 2, st);
  b.dy.uniform(-1, 1, 3, st);
  return b;
}

// Milliseconds of one fwd+bwd_data+bwd_filter, median of `reps` event-timed runs.
double time_step(const cuda::ConvGeometry& g, const Buffers& b, const Stream& st, int reps) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  auto once = [&] {
    cuda::conv2d_forward(b.x, b.w, b.y, g, st);
    cuda::conv2d_backward_data(b.dy, b.w, b.dx, g, st);
    cuda::conv2d_backward_filter(b.dy, b.x, b.dw, g, st);
  };
  once();  // algorithm selection, workspace, module load
  std::vector<float> ms;
  auto s = static_cast<cudaStream_t>(st.native_handle());
  for (int r = 0; r < reps; ++r) {
    CUDA_CHECK(cudaEventRecord(start, s));
    once();
    CUDA_CHECK(cudaEventRecord(stop, s));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float t;
    CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double step_flops(const cuda::ConvGeometry& g) {
  return 3.0 * 2.0 * g.n * g.oh * g.ow * g.o * g.kh * g.kw * g.c;  // fwd + two backward products
}

void BM_InceptionConvs(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const bool tf32 = state.range(0) != 0;
  cuda::conv_settings().allow_tf32 = tf32;
  const Stream st = Stream::create(Device::cuda(0));
  double total_ms = 0, total_flops = 0;
  for (auto _ : state) {
    total_ms = total_flops = 0;
    for (const ConvShape& s : bench::inception_v3_convs()) {
      const cuda::ConvGeometry g = geometry(s, kBatch);
      const Buffers b = buffers(g, st);
      total_ms += s.count * time_step(g, b, st, 5);
      total_flops += s.count * step_flops(g);
    }
    state.SetIterationTime(total_ms / 1e3);
  }
  const double peak = tf32 ? 495e12 : 66.9e12;  // H100 SXM dense (REFERENCE.md section 9)
  state.counters["conv_ms_per_step"] = total_ms;
  state.counters["TFLOP/s"] = total_flops / (total_ms / 1e3) / 1e12;
  state.counters["frac_of_peak"] = total_flops / (total_ms / 1e3) / peak;
  state.counters["img/s_conv_only"] = kBatch / (total_ms / 1e3);
  cuda::conv_settings().allow_tf32 = false;
}
BENCHMARK(BM_InceptionConvs)->Arg(0)->Arg(1)->ArgName("tf32")->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_ConvShape(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const ConvShape s = bench::inception_v3_convs()[static_cast<size_t>(state.range(0))];
  state.SetLabel(s.name);
  const Stream st = Stream::create(Device::cuda(0));
  const cuda::ConvGeometry g = geometry(s, kBatch);
  const Buffers b = buffers(g, st);
  double ms = 0;
  for (auto _ : state) {
    ms = time_step(g, b, st, 5);
    state.SetIterationTime(ms / 1e3);
  }
  state.counters["TFLOP/s"] = step_flops(g) / (ms / 1e3) / 1e12;
}
BENCHMARK(BM_ConvShape)->DenseRange(0, 48)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
#else
void BM_InceptionConvs(benchmark::State& state) {
  for (auto _ : state) state.SkipWithError("this build has no CUDA backend");
}
BENCHMARK(BM_InceptionConvs);
#endif

}  // namespace
