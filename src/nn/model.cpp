#include "cutrain/nn/model.h"

#include "cutrain/core/error.h"

namespace cutrain::nn {

Tensor Model::predict(const Tensor& images, Device device) {
  CUTRAIN_CHECK(graph && input.defined(), "predict: model '", name, "' has no graph or input");
  CUTRAIN_CHECK(logits.defined(), "predict: model '", name, "' has no classifier (num_classes = 0); "
                "run an endpoint with graph::Executor and graph::kInference");
  CUTRAIN_CHECK(images.shape() == input.shape(), "predict: model '", name, "' takes images ",
                input.shape().str(), ", got ", images.shape().str());
  graph::Executor exec(*graph, device);
  const Tensor x = images.dtype() == input.dtype() ? images : images.to(Device::cpu(), exec.stream()).to(input.dtype());
  return exec.run({{input, x}}, {logits}, graph::kInference)[0].to(Device::cpu(), exec.stream());
}

const Value& Model::endpoint(const std::string& n) const {
  auto it = endpoints.find(n);
  if (it == endpoints.end()) {
    std::string names;
    for (const std::string& e : endpoint_order) names += (names.empty() ? "" : ", ") + e;
    CUTRAIN_THROW("model '", name, "' has no endpoint '", n, "'; it has: ", names);
  }
  return it->second;
}

void Model::add_endpoint(const std::string& n, Value v) {
  CUTRAIN_CHECK(!endpoints.count(n), "endpoint '", n, "' defined twice");
  endpoints[n] = v;
  endpoint_order.push_back(n);
}

namespace {
int64_t numel_sum(const std::vector<Value>& vs) {
  int64_t n = 0;
  for (const Value& v : vs) n += v.shape().numel();
  return n;
}
}  // namespace

int64_t Model::trainable_parameter_count() const {
  return numel_sum(params);
}
int64_t Model::state_element_count() const {
  return numel_sum(states);
}
int64_t Model::bn_state_element_count() const {
  return numel_sum(bn_states);
}

ModelBuilder::ModelBuilder(Model& model, DType dtype, uint64_t seed)
    : model_(model), dtype_(dtype), seed_(seed) {
  if (!model_.graph) model_.graph = std::make_unique<graph::Graph>(seed);
}

Value ModelBuilder::parameter(const std::string& name, const Shape& shape, const Initializer& init,
                              bool weight_decay) {
  const std::string full = graph().scoped(name);
  const bool draw = initialize_ || init.kind == Initializer::Kind::constant;
  Tensor value =
      draw ? init.make(shape, dtype_, parameter_seed(seed_, full)) : Tensor::zeros(shape, dtype_);
  const Value v = graph().parameter(name, std::move(value));
  model_.params.push_back(v);
  if (weight_decay) model_.weight_decay_params.push_back(v);
  return v;
}

Value ModelBuilder::state(const std::string& name, Tensor init, bool bn_statistic) {
  const Value v = graph().state(name, std::move(init));
  model_.states.push_back(v);
  if (bn_statistic) model_.bn_states.push_back(v);
  return v;
}

}  // namespace cutrain::nn
