// Fine-tuning a train::Model: weights by name (nn/weights.h's scheme and
// report), frozen parameters, and initialisation from a file whose
// classifier has another class count.
//
// Freezing (Keras' layer.trainable = False): parameters whose dotted name
// (nn::weight_name) matches a regex leave Network::trainable (so they get no
// gradient and no optimizer slots) and Network::regularized (a constant adds
// nothing to learning), and join Network::states (so they are still shared
// between batch sizes, saved and loaded). A batch norm whose beta or gamma is
// frozen runs in inference mode, in training steps too (attr "inference",
// ops/batch_norm.h): it normalizes with its moving statistics and does not
// update them, as Keras' BatchNormalization does when frozen.
//
// init_from: the weights of a cutrain checkpoint or of a converted
// torchvision file (tools/convert_torchvision_inception.py), strictly, except
// that when the classifier's class count differs the classifier is kept at
// its initialisation. The classifier is recognised by shape: the mismatched
// tensors whose leading dimension is the model's class count in the model and
// one other count in the file, all the same (a [C, in] dense weight, its [C]
// bias, a [C, 1, 1, in] conv weight). Any other mismatch, a missing or an
// unexpected tensor is an error naming them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cutrain/nn/weights.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

// Dotted name -> the model's tensor (shared storage), parameters then states.
// Builds the model's graph for its batch size if needed (compile first).
std::map<std::string, Tensor> named_weights(Model& model);
nn::LoadReport load_weights(Model& model, const std::map<std::string, Tensor>& file,
                            const nn::LoadWeightsOptions& options = {}, const std::string& source = "tensors");
nn::LoadReport load_weights(Model& model, const std::string& path, const nn::LoadWeightsOptions& options = {});
void save_weights(Model& model, const std::string& path);

struct FreezeReport {
  std::vector<std::string> frozen;        // graph names of the frozen parameters
  std::vector<std::string> bn_inference;  // batch-norm nodes pinned to inference
};
// Freezes, in place, the parameters of `net` matching `pattern` (ECMAScript,
// searched in the dotted name). Throws when the pattern is invalid, matches
// no trainable parameter, or matches all of them.
FreezeReport freeze(graph::Graph& g, Network& net, const std::string& pattern);
// Builders that freeze what they build (report of the last build in `report`
// when given).
NetworkBuilder freeze_builder(NetworkBuilder builder, std::string pattern,
                              std::shared_ptr<FreezeReport> report = nullptr);
GraphNetworkBuilder freeze_builder(GraphNetworkBuilder builder, std::string pattern,
                                   std::shared_ptr<FreezeReport> report = nullptr);

struct InitFromReport {
  nn::LoadReport load;
  std::vector<std::string> replaced;  // classifier tensors kept at initialisation
  int64_t file_classes = 0;           // the file's class count when the classifier was replaced
  int64_t model_classes = 0;
  // "initialized 10 of 12 weights from 'f'; classifier replaced (5 classes in the file, 10 in the model): ..."
  std::string str() const;
};
// Loads `file` (dotted or slim names) into a compiled model with
// `num_classes` classes, as described above. `source` names it in messages.
InitFromReport init_from(Model& model, const std::map<std::string, Tensor>& file, int64_t num_classes,
                         const std::string& source);
InitFromReport init_from(Model& model, const std::string& path, int64_t num_classes);

}  // namespace cutrain::train
