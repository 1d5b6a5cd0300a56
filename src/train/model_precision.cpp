#include "model_precision.h"

namespace cutrain::train {

void apply_precision(graph::Precision p, Device device, std::unique_ptr<graph::Graph>& g, nn::Network& net,
                     graph::AutocastReport& report) {
  if (p != graph::Precision::bf16 && p != graph::Precision::fp16) return;
  std::vector<graph::Value> f32_out = net.outputs;
  f32_out.insert(f32_out.end(), net.losses.begin(), net.losses.end());
  graph::AutocastResult r = graph::autocast(*g, graph::precision_dtype(p), device.type, f32_out);
  const auto remap = [&](std::vector<graph::Value>& vs) {
    for (graph::Value& v : vs) v = r.map(v);
  };
  net.input = r.map(net.input);
  remap(net.outputs);
  remap(net.trainable);
  remap(net.regularized);
  remap(net.states);
  remap(net.losses);
  report = r.report;
  g = std::move(r.graph);
}

bool finish_precision(graph::Precision p, Device device, graph::Graph& g) {
  if (p == graph::Precision::bf16 || p == graph::Precision::fp16) {
    graph::check_low_precision_kernels(g, device.type);
    return false;
  }
  if (p == graph::Precision::tf32) return graph::allow_tf32(g) > 0;
  return false;
}

}  // namespace cutrain::train
