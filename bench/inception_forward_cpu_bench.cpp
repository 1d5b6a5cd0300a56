// Inception V3 inference on the CPU reference backend: images per second for
// one forward pass (eval mode: batch norm uses the moving statistics,
// dropout is the identity) at 75x75 and 299x299, batch 8, f32.
// Counters: img/s, the graph's conv multiply-adds per image (5.71 G at 299)
// and the GFLOP/s they amount to.
#include <benchmark/benchmark.h>

#include "cutrain/graph/executor.h"
#include "cutrain/nn/inception_v3.h"

using namespace cutrain;

namespace {

// Multiply-adds of every conv in the graph, per image.
double conv_macs_per_image(const nn::Model& m) {
  double macs = 0;
  for (const graph::Node& n : m.graph->nodes()) {
    if (n.op != "conv2d") continue;
    const Shape& y = n.outputs[0].shape;
    const Shape& w = n.inputs[1].shape();
    macs += static_cast<double>(y[1] * y[2] * y[3]) * static_cast<double>(w[1] * w[2] * w[3]);
  }
  return macs;
}

void BM_InceptionV3ForwardCpu(benchmark::State& state) {
  nn::InceptionV3Options o;
  o.image_size = state.range(0);
  o.batch_size = 8;
  o.num_classes = 1001;
  o.create_aux_logits = false;  // inference: the aux head only feeds the training loss
  o.is_training = false;
  nn::Model m = nn::inception_v3(o);
  Tensor images = Tensor::empty(m.input.shape(), DType::f32);
  images.uniform(-1.0, 1.0, 1);
  graph::Executor ex(*m.graph, Device::cpu());
  for (auto _ : state) {
    const auto out = ex.run({{m.input, images}}, {m.logits}, m.run_options());
    benchmark::DoNotOptimize(out[0].raw_data());
  }
  const double images_done = static_cast<double>(state.iterations() * o.batch_size);
  state.counters["img/s"] = benchmark::Counter(images_done, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(images_done * 2.0 * conv_macs_per_image(m) * 1e-9,
                                                 benchmark::Counter::kIsRate);
  state.counters["GMAC/img"] = conv_macs_per_image(m) * 1e-9;
}

BENCHMARK(BM_InceptionV3ForwardCpu)
    ->Arg(75)
    ->Arg(299)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
