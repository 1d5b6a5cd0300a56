// Loading and saving a model's weights by name, with a report (PyTorch's
// load_state_dict semantics, strict by default).
//
// Names. One scheme everywhere (checkpoints, converted torchvision files,
// this API, the CLI): the graph's slim scope name with '/' turned into '.'
// and slim's leaf names turned into PyTorch's (weight_name):
//   InceptionV3/Mixed_5b/Branch_1/Conv2d_0a_1x1/weights      -> InceptionV3.Mixed_5b.Branch_1.Conv2d_0a_1x1.weight
//   InceptionV3/Conv2d_1a_3x3/BatchNorm/moving_variance       -> InceptionV3.Conv2d_1a_3x3.BatchNorm.running_var
// (weights -> weight, biases -> bias, gamma -> weight, beta -> bias,
// moving_mean -> running_mean, moving_variance -> running_var). A file name
// that still has slim's '/' form is read through the same mapping, so files
// written by older converters load too.
//
// What is loaded: every trainable parameter and every state (batch-norm
// statistics, spectral-norm vectors) of the model; tensors stay in the
// engine's layout (conv OHWI, dense [out, in]).
//
// The report lists, sorted:
//   missing     model weights the file does not have,
//   unexpected  file tensors the model does not have,
//   mismatched  names in both whose shape differs (or whose dtype differs
//               without allow_dtype_cast), with both shapes and dtypes,
//   skipped     names (of either side) matched by the skip regex.
// strict (the default): any missing, unexpected or mismatched entry throws
// cutrain::Error with the report, and nothing is written. Not strict: the
// matching tensors are copied, the rest left as they are, and the report
// says what happened (PyTorch raises on a shape mismatch even then; we report
// it, as Keras' skip_mismatch does, so a new classifier head can be kept).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/graph/graph.h"
#include "cutrain/nn/model.h"

namespace cutrain::nn {

// Graph (slim) name -> weight file name (see above). Idempotent on names
// that are already dotted.
std::string weight_name(const std::string& graph_name);

struct LoadWeightsOptions {
  bool strict = true;
  // Convert a floating-point file tensor to the model's floating-point dtype
  // (bf16/f16 files into f32 models and back; rounding to nearest even);
  // each conversion is listed in LoadReport::cast. Integer tensors never cast.
  bool allow_dtype_cast = false;
  // ECMAScript regex searched in each name (file or model, dotted form);
  // empty: skip nothing. E.g. "^InceptionV3\\.Logits\\." to keep a new head.
  std::string skip;
  bool dry_run = false;  // report only: copy nothing (and do not throw)
};

struct WeightMismatch {
  std::string name;
  Shape file_shape, model_shape;
  DType file_dtype = DType::f32, model_dtype = DType::f32;
};

struct WeightCast {
  std::string name;
  DType file_dtype = DType::f32, model_dtype = DType::f32;
};

struct LoadReport {
  std::vector<std::string> loaded, missing, unexpected, skipped;
  std::vector<WeightMismatch> mismatched;
  std::vector<WeightCast> cast;  // loaded with a dtype conversion (allow_dtype_cast)
  // Nothing missing, unexpected or mismatched.
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // "loaded 12 of 14 weights from 'f.safetensors'; missing (1): ...; unexpected (1): ...;
  //  mismatched (1): Logits.weight: file f32[5, 64], model f32[10, 64];
  //  cast to the model's dtype (1): Conv.weight bf16 -> f32"
  std::string str() const;
  std::string source;  // the file or "tensors", for messages
};

// Dotted name -> tensor of the model (shared storage: writing into a tensor
// of the map writes the model's weight). Parameters then states.
std::map<std::string, Tensor> named_weights(graph::Graph& g, const std::vector<Value>& leaves);
std::map<std::string, Tensor> named_weights(Model& model);

// Copies `file` tensors into the named `targets` (named_weights' form).
// `source` names the file in messages. Throws when strict and the report is
// not ok(), or when the file has a name twice (slim and dotted forms).
LoadReport load_weights(const std::map<std::string, Tensor>& targets, const std::map<std::string, Tensor>& file,
                        const LoadWeightsOptions& options = {}, const std::string& source = "tensors");
LoadReport load_weights(Model& model, const std::map<std::string, Tensor>& file,
                        const LoadWeightsOptions& options = {}, const std::string& source = "tensors");
// Reads a safetensors file (a cutrain checkpoint's optimizer slots and
// parameter averages, "optimizer." and "ema." names, are not weights and are
// left out before matching).
LoadReport load_weights(Model& model, const std::string& path, const LoadWeightsOptions& options = {});
std::map<std::string, Tensor> read_weight_file(const std::string& path);

// Writes the model's parameters and states (host copies, dotted names) as
// safetensors, format "pt", with the layout in the metadata.
void save_weights(const std::map<std::string, Tensor>& weights, const std::string& path);
void save_weights(Model& model, const std::string& path);

}  // namespace cutrain::nn
