// One Inception V3 training step (forward, softmax cross-entropy with the
// 0.4-weighted aux head, backward, SGD-momentum update of every parameter),
// in images per second, run three ways: the reference executor, the planned
// executor on one stream, on four streams, and on four streams with the
// fusion pass (graph/fusion.h) applied to the step. The planned modes replay
// the recorded step (graph replay, CUDA graphs on a GPU); modes 4 and 5 are
// four streams, unfused and fused, enqueuing every kernel of every step
// instead, to measure what replay saves. Device, batch and image size
// come from the environment so the same binary serves the CPU here and an
// H100 (bench/e2e/torch_inception_step.py measures PyTorch alongside):
//   CUTRAIN_E2E_DEVICE=cpu|cuda  CUTRAIN_E2E_BATCH=N  CUTRAIN_E2E_SIZE=S
//   CUTRAIN_E2E_PRECISION=fp32|tf32|bf16|fp16 (CompileOptions::precision's
//   policy: bf16/fp16 through the autocast pass with f32 master weights and
//   update, tf32 on every convolution and matrix product of this graph only;
//   fp16 here has no loss scaling, whose cost is one check over the gradients)
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "cutrain/graph/autocast.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/fusion.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/nn/autocast_model.h"
#include "cutrain/nn/inception_v3.h"

namespace {

using namespace cutrain;
using graph::Value;

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoll(v) : fallback;
}

struct Step {
  nn::Model model;
  Value labels;
  std::vector<Value> fetches;
};

graph::Precision env_precision() {
  const char* v = std::getenv("CUTRAIN_E2E_PRECISION");
  return graph::precision_from_name(v ? v : "fp32");
}

std::unique_ptr<Step> build_step(int64_t batch, int64_t size, graph::Precision precision, DeviceType device) {
  auto s = std::make_unique<Step>();
  nn::InceptionV3Options o;
  o.num_classes = 1001;
  o.batch_size = batch;
  o.image_size = size;
  o.create_aux_logits = size >= nn::inception_v3_min_image_size(true);
  s->model = nn::inception_v3(o);
  if (precision == graph::Precision::bf16 || precision == graph::Precision::fp16)
    nn::autocast_model(s->model, graph::precision_dtype(precision), device);
  graph::Graph& g = *s->model.graph;
  s->labels = g.input("labels", {Shape{batch}, DType::i32});
  Value loss = graph::weighted_loss_reduce(graph::softmax_cross_entropy(s->model.logits, s->labels));
  if (s->model.aux_logits.defined())
    loss = graph::add(loss, graph::scale(graph::weighted_loss_reduce(graph::softmax_cross_entropy(s->model.aux_logits, s->labels)), 0.4));
  const auto grads = graph::gradients(g, loss, s->model.params);
  std::vector<Value> bufs;
  for (const Value& p : s->model.params) bufs.push_back(g.state(p.name() + "/Momentum", Tensor::zeros(p.shape(), p.dtype())));
  ops::SgdOptions sgd;
  sgd.lr = 0.01;
  sgd.momentum = 0.9;
  s->fetches = graph::sgd_update(s->model.params, grads, bufs, sgd);
  s->fetches.push_back(loss);
  if (precision == graph::Precision::tf32) graph::allow_tf32(g);
  if (precision == graph::Precision::bf16 || precision == graph::Precision::fp16)
    graph::check_low_precision_kernels(g, device);
  return s;
}

enum class Mode {
  reference,
  planned_one_stream,
  planned_four_streams,
  planned_four_streams_fused,
  planned_four_streams_no_replay,
  planned_four_streams_fused_no_replay,
};

void BM_InceptionV3TrainingStep(benchmark::State& state) {
  const Device device = Device::parse(std::getenv("CUTRAIN_E2E_DEVICE") ? std::getenv("CUTRAIN_E2E_DEVICE") : "cpu");
  if (device.is_cuda() && !cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const graph::Precision precision = env_precision();
  const int64_t batch = env_int("CUTRAIN_E2E_BATCH", 8), size = env_int("CUTRAIN_E2E_SIZE", 75);
  const Mode mode = static_cast<Mode>(state.range(0));
  auto step = build_step(batch, size, precision, device.type);
  graph::Graph& g = *step->model.graph;
  Tensor images = Tensor::empty({batch, size, size, 3}, DType::f32);
  images.uniform(-1, 1, 1);
  Tensor labels = Tensor::empty({batch}, DType::i32);
  for (int64_t i = 0; i < batch; ++i) labels.set_flat(i, static_cast<double>((i * 37) % 1001));

  std::unique_ptr<graph::Executor> ref;
  std::unique_ptr<graph::PlannedExecutor> planned;
  if (mode == Mode::reference) {
    ref = std::make_unique<graph::Executor>(g, device);
  } else {
    graph::PlannedExecutorOptions po;
    po.streams = mode != Mode::planned_one_stream;
    po.graph_replay = mode != Mode::planned_four_streams_no_replay && mode != Mode::planned_four_streams_fused_no_replay;
    if (mode == Mode::planned_four_streams_fused || mode == Mode::planned_four_streams_fused_no_replay)
      graph::fuse_inception_concats(g);
    planned = std::make_unique<graph::PlannedExecutor>(g, device, po);
  }
  const Stream stream = ref ? ref->stream() : planned->main_stream();
  const Tensor d_images = images.to(device, stream), d_labels = labels.to(device, stream);
  const std::vector<std::pair<Value, Tensor>> feeds = {{step->model.input, d_images}, {step->labels, d_labels}};
  auto run = [&] {
    auto out = ref ? ref->run(feeds, step->fetches, graph::kTraining) : planned->run(feeds, step->fetches, graph::kTraining);
    return out.back().to(Device::cpu(), stream).item();  // waits for the step
  };
  run();  // warm-up: planning, recording the step, cuDNN algorithm choice, allocator growth
  double loss = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    loss = run();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["loss"] = loss;
  state.SetLabel(device.str() + " " + std::string(graph::precision_name(precision)) + " batch " + std::to_string(batch) + " " + std::to_string(size) + "x" + std::to_string(size));
}
BENCHMARK(BM_InceptionV3TrainingStep)
    ->Arg(static_cast<int>(Mode::reference))
    ->Arg(static_cast<int>(Mode::planned_one_stream))
    ->Arg(static_cast<int>(Mode::planned_four_streams))
    ->Arg(static_cast<int>(Mode::planned_four_streams_fused))
    ->Arg(static_cast<int>(Mode::planned_four_streams_no_replay))
    ->Arg(static_cast<int>(Mode::planned_four_streams_fused_no_replay))
    ->ArgName("mode")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

}  // namespace
