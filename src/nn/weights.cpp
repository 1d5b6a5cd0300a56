#include "cutrain/nn/weights.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/io/safetensors.h"

namespace cutrain::nn {

namespace {

std::string spec_str(DType d, const Shape& s) { return std::string(dtype_name(d)) + s.str(); }

template <typename List, typename F>
void append_list(std::ostringstream& os, const char* what, const List& items, F item_str) {
  if (items.empty()) return;
  os << "; " << what << " (" << items.size() << "): ";
  // Long lists (a whole Inception V3 against a wrong file) stay readable.
  constexpr size_t kShown = 12;
  for (size_t i = 0; i < items.size() && i < kShown; ++i) os << (i ? ", " : "") << item_str(items[i]);
  if (items.size() > kShown) os << ", ... (" << items.size() - kShown << " more)";
}

}  // namespace

std::string LoadReport::str() const {
  std::ostringstream os;
  const size_t total = loaded.size() + missing.size() + mismatched.size();
  os << "loaded " << loaded.size() << " of " << total << " weights from '" << source << "'";
  auto plain = [](const std::string& s) { return s; };
  append_list(os, "missing", missing, plain);
  append_list(os, "unexpected", unexpected, plain);
  append_list(os, "mismatched", mismatched, [](const WeightMismatch& m) {
    return m.name + ": file " + spec_str(m.file_dtype, m.file_shape) + ", model " +
           spec_str(m.model_dtype, m.model_shape);
  });
  append_list(os, "skipped", skipped, plain);
  append_list(os, "cast to the model's dtype", cast, [](const WeightCast& c) {
    return c.name + " " + std::string(dtype_name(c.file_dtype)) + " -> " + std::string(dtype_name(c.model_dtype));
  });
  return os.str();
}

std::map<std::string, Tensor> named_weights(graph::Graph& g, const std::vector<Value>& leaves) {
  std::map<std::string, Tensor> out;
  for (const Value& v : leaves) {
    graph::Node& n = g.mutable_node(v.node);
    const std::string name = weight_name(n.name);
    CUTRAIN_CHECK(out.emplace(name, n.tensor).second, "two weights of the graph are named '", name, "'");
  }
  return out;
}

std::map<std::string, Tensor> named_weights(Model& model) {
  CUTRAIN_CHECK(model.graph != nullptr, "named_weights: model '", model.name, "' has no graph");
  std::vector<Value> leaves = model.params;
  leaves.insert(leaves.end(), model.states.begin(), model.states.end());
  return named_weights(*model.graph, leaves);
}

LoadReport load_weights(const std::map<std::string, Tensor>& targets, const std::map<std::string, Tensor>& file_in,
                        const LoadWeightsOptions& options, const std::string& source) {
  LoadReport r;
  r.source = source;
  std::optional<std::regex> skip;
  if (!options.skip.empty()) {
    try {
      skip.emplace(options.skip, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      CUTRAIN_THROW("load_weights: skip pattern '", options.skip, "' is not a valid regex: ", e.what());
    }
  }
  auto skipped = [&](const std::string& n) { return skip && std::regex_search(n, *skip); };

  // The file by dotted name.
  std::map<std::string, Tensor> file;
  for (const auto& [key, t] : file_in) {
    const std::string name = weight_name(key);
    CUTRAIN_CHECK(file.emplace(name, t).second, "'", source, "' has tensor '", name,
                  "' twice (under slim and dotted names)");
  }
  std::set<std::string> skipped_names;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (model tensor, file tensor)
  for (const auto& [name, dst] : targets) {
    if (skipped(name)) {
      skipped_names.insert(name);
      continue;
    }
    auto it = file.find(name);
    if (it == file.end()) {
      r.missing.push_back(name);
      continue;
    }
    const Tensor& src = it->second;
    const bool castable = options.allow_dtype_cast && is_floating(src.dtype()) && is_floating(dst.dtype());
    const bool dtype_ok = src.dtype() == dst.dtype() || castable;
    if (src.shape() != dst.shape() || !dtype_ok) {
      r.mismatched.push_back({name, src.shape(), dst.shape(), src.dtype(), dst.dtype()});
      continue;
    }
    if (src.dtype() != dst.dtype()) r.cast.push_back({name, src.dtype(), dst.dtype()});
    copies.emplace_back(dst, src);
    r.loaded.push_back(name);
  }
  for (const auto& [name, t] : file) {
    if (targets.count(name)) continue;
    if (skipped(name))
      skipped_names.insert(name);
    else
      r.unexpected.push_back(name);
  }
  r.skipped.assign(skipped_names.begin(), skipped_names.end());
  if (options.dry_run) return r;
  if (options.strict && !r.ok()) CUTRAIN_THROW("load_weights (strict): ", r.str());
  // On the target's device's default stream: the executors' main stream,
  // so the copies are ordered with every step that reads the weights.
  for (auto& [dst, src] : copies) {
    Tensor host = src.device().is_cpu() ? src : src.to(Device::cpu(), Stream::default_stream(src.device()));
    if (host.dtype() != dst.dtype()) host = host.to(dst.dtype());
    dst.copy_from(host.contiguous(), Stream::default_stream(dst.device()));
  }
  return r;
}

LoadReport load_weights(Model& model, const std::map<std::string, Tensor>& file, const LoadWeightsOptions& options,
                        const std::string& source) {
  return load_weights(named_weights(model), file, options, source);
}

std::map<std::string, Tensor> read_weight_file(const std::string& path) {
  io::SafetensorsContents c = io::load_safetensors(path);
  std::map<std::string, Tensor> out;
  for (auto& [name, t] : c.tensors)
    if (name.rfind("optimizer.", 0) != 0 && name.rfind("ema.", 0) != 0) out.emplace(name, std::move(t));
  return out;
}

LoadReport load_weights(Model& model, const std::string& path, const LoadWeightsOptions& options) {
  return load_weights(model, read_weight_file(path), options, path);
}

void save_weights(const std::map<std::string, Tensor>& weights, const std::string& path) {
  io::TensorMap host;
  for (const auto& [name, t] : weights)
    host.emplace(name, t.device().is_cpu() ? t : t.to(Device::cpu(), Stream::default_stream(t.device())));
  io::save_safetensors(path, host,
                       {{"format", "pt"}, {"layout", "NHWC activations; conv weights OHWI; dense [out, in]"}});
}

void save_weights(Model& model, const std::string& path) { save_weights(named_weights(model), path); }

}  // namespace cutrain::nn
