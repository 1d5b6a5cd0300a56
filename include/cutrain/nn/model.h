// Model: a graph built by the nn layer builders plus the registries the
// training step needs (trainable parameters, the L2 list, batch-norm state,
// named endpoints). ModelBuilder is what the layer builders write through.
//
// Graph inputs have a fixed shape, batch included: a model is built for one
// batch size (build another for a different one; building does no compute).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/graph.h"
#include "cutrain/nn/initializer.h"

namespace cutrain::nn {

using graph::Value;

struct Model {
  // On the heap so Values (which point at the graph) survive moving the Model.
  std::unique_ptr<graph::Graph> graph;
  std::string name;  // outer scope of every parameter ("InceptionV3")

  Value input;        // [batch, H, W, C] images, fed per run
  Value logits;       // [batch, num_classes] (undefined when num_classes == 0)
  Value aux_logits;   // [batch, num_classes] (undefined without the aux head)
  Value predictions;  // softmax(logits)

  // Named intermediate values, slim's end_points ("Mixed_6e", "AuxLogits", ...);
  // endpoint_order lists them in creation order.
  std::map<std::string, Value> endpoints;
  std::vector<std::string> endpoint_order;

  std::vector<Value> params;               // trainable, creation order
  std::vector<Value> weight_decay_params;  // conv and dense weights (L2), not biases/BN
  std::vector<Value> states;               // every non-trainable leaf the model created
  std::vector<Value> bn_states;            // moving_mean / moving_variance (subset of states)

  // The mode the model was built for; batch norm and dropout read the
  // executor's RunOptions::training, so the graph is the same either way.
  bool training = true;
  graph::RunOptions run_options() const { return {training}; }

  // Inference forward: main-head logits [batch, num_classes] on the host for
  // images [batch, H, W, C] shaped like `input`, with batch norm on its moving
  // statistics and dropout off, whatever `training` says (nothing is updated).
  // Builds an executor on `device` per call: for repeated runs, keep a
  // graph::Executor and run it with graph::kInference.
  Tensor predict(const Tensor& images, Device device = Device::cpu());

  const Value& endpoint(const std::string& name) const;  // throws listing the names
  void add_endpoint(const std::string& name, Value v);
  int64_t trainable_parameter_count() const;
  int64_t state_element_count() const;
  int64_t bn_state_element_count() const;
};

class ModelBuilder;

// Rewrites a weight before its layer uses it (e.g. spectral normalization),
// called inside the layer's name scope with the raw weight parameter.
using WeightTransform = std::function<Value(ModelBuilder&, Value weight)>;

class ModelBuilder {
 public:
  // Creates the model's graph. `dtype` is the parameters' and input's dtype.
  ModelBuilder(Model& model, DType dtype, uint64_t seed);

  graph::Graph& graph() { return *model_.graph; }
  Model& model() { return model_; }
  DType dtype() const { return dtype_; }
  uint64_t seed() const { return seed_; }

  // A trainable parameter named graph().scoped(name), initialized with a
  // seed derived from the model seed and that full name.
  Value parameter(const std::string& name, const Shape& shape, const Initializer& init,
                  bool weight_decay);
  // false: random initializers give zeros instead of drawing (constants still
  // apply), for builds that only need shapes (summaries, counts); drawing
  // Inception V3's 27 M values takes about a second.
  void set_initialize(bool on) { initialize_ = on; }

  // A non-trainable leaf (batch-norm statistics, spectral-norm vectors).
  Value state(const std::string& name, Tensor init, bool bn_statistic = false);

 private:
  Model& model_;
  DType dtype_;
  uint64_t seed_;
  bool initialize_ = true;
};

}  // namespace cutrain::nn
