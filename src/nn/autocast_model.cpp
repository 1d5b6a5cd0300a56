#include "cutrain/nn/autocast_model.h"

namespace cutrain::nn {

graph::AutocastReport autocast_model(Model& m, DType low, DeviceType device) {
  std::vector<graph::Value> f32_out;
  for (const Value& v : {m.logits, m.aux_logits, m.predictions})
    if (v.defined()) f32_out.push_back(v);
  graph::AutocastResult r = graph::autocast(*m.graph, low, device, f32_out);
  const auto map = [&](Value& v) {
    if (v.defined()) v = r.map(v);
  };
  for (Value* v : {&m.input, &m.logits, &m.aux_logits, &m.predictions}) map(*v);
  for (auto& [name, v] : m.endpoints) map(v);
  for (auto* vs : {&m.params, &m.weight_decay_params, &m.states, &m.bn_states})
    for (Value& v : *vs) map(v);
  m.graph = std::move(r.graph);
  return r.report;
}

}  // namespace cutrain::nn
