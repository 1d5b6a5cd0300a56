#include "cutrain/train/fine_tune.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include "cutrain/core/error.h"

namespace cutrain::train {

std::map<std::string, Tensor> named_weights(Model& model) {
  model.output_names();  // builds the graph (and so the shared leaves) of the model's batch size
  std::map<std::string, Tensor> out;
  std::vector<std::string> names = model.parameter_names();
  names.insert(names.end(), model.state_names().begin(), model.state_names().end());
  for (const std::string& n : names) {
      const std::string name = nn::weight_name(n);
    CUTRAIN_CHECK(out.emplace(name, model.leaves().at(n)).second, "two weights of the model are named '", name,
                  "'");
  }
  return out;
}

nn::LoadReport load_weights(Model& model, const std::map<std::string, Tensor>& file,
                            const nn::LoadWeightsOptions& options, const std::string& source) {
  return nn::load_weights(named_weights(model), file, options, source);
}

nn::LoadReport load_weights(Model& model, const std::string& path, const nn::LoadWeightsOptions& options) {
  return load_weights(model, nn::read_weight_file(path), options, path);
}

void save_weights(Model& model, const std::string& path) { nn::save_weights(named_weights(model), path); }

FreezeReport freeze(graph::Graph& g, Network& net, const std::string& pattern) {
  std::regex re;
  try {
    re = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    CUTRAIN_THROW("freeze: '", pattern, "' is not a valid regex: ", e.what());
  }
  FreezeReport r;
  std::set<int> frozen;
  std::vector<graph::Value> keep;
  for (const graph::Value& v : net.trainable) {
    const std::string& name = g.node(v.node).name;
    if (std::regex_search(nn::weight_name(name), re)) {
      frozen.insert(v.node);
      r.frozen.push_back(name);
      net.states.push_back(v);
    } else {
      keep.push_back(v);
    }
  }
  auto first_names = [&] {
    std::string s;
    for (size_t i = 0; i < net.trainable.size() && i < 6; ++i)
      s += (i ? ", " : "") + nn::weight_name(g.node(net.trainable[i].node).name);
    return s + (net.trainable.size() > 6 ? ", ..." : "");
  };
  CUTRAIN_CHECK(!frozen.empty(), "freeze: '", pattern, "' matches no trainable parameter (they are named ",
                first_names(), ")");
  CUTRAIN_CHECK(!keep.empty(), "freeze: '", pattern, "' matches every trainable parameter (",
                net.trainable.size(), "); nothing would be trained");
  net.trainable = std::move(keep);
  std::erase_if(net.regularized, [&](const graph::Value& v) { return frozen.count(v.node) != 0; });
  constexpr size_t kBeta = 1, kGamma = 4;
  for (int i = 0; i < g.size(); ++i) {
    graph::Node& n = g.mutable_node(i);
    if (n.kind != graph::NodeKind::op || n.op != "batch_norm") continue;
    const bool beta = n.inputs.size() > kBeta && frozen.count(n.inputs[kBeta].node);
    const bool gamma = n.inputs.size() > kGamma && frozen.count(n.inputs[kGamma].node);
    if (!beta && !gamma) continue;
    n.attrs.set("inference", true);
    r.bn_inference.push_back(n.name);
  }
  return r;
}

NetworkBuilder freeze_builder(NetworkBuilder builder, std::string pattern, std::shared_ptr<FreezeReport> report) {
  return [builder = std::move(builder), pattern = std::move(pattern), report](graph::Graph& g,
                                                                             const NetworkSpec& spec) {
    Network net = builder(g, spec);
    FreezeReport r = freeze(g, net, pattern);
    if (report) *report = std::move(r);
    return net;
  };
}

GraphNetworkBuilder freeze_builder(GraphNetworkBuilder builder, std::string pattern,
                                   std::shared_ptr<FreezeReport> report) {
  return [builder = std::move(builder), pattern = std::move(pattern), report](const NetworkSpec& spec) {
    OwnedNetwork own = builder(spec);
    CUTRAIN_CHECK(own.graph != nullptr, "the network builder returned no graph");
    FreezeReport r = freeze(*own.graph, own.network, pattern);
    if (report) *report = std::move(r);
    return own;
  };
}

std::string InitFromReport::str() const {
  std::ostringstream os;
  os << "initialized " << load.loaded.size() << " of " << load.loaded.size() + replaced.size()
     << " weights from '" << load.source << "'";
  if (!replaced.empty()) {
    os << "; classifier replaced (" << file_classes << " classes in the file, " << model_classes
       << " in the model), newly initialized: ";
    for (size_t i = 0; i < replaced.size(); ++i) os << (i ? ", " : "") << replaced[i];
  }
  // Conversions by dtype pair: "; cast to the model's dtype: 30 bf16 -> f32".
  std::map<std::pair<DType, DType>, int> casts;
  for (const nn::WeightCast& c : load.cast) ++casts[{c.file_dtype, c.model_dtype}];
  for (auto it = casts.begin(); it != casts.end(); ++it)
    os << (it == casts.begin() ? "; cast to the model's dtype: " : ", ") << it->second << " "
       << dtype_name(it->first.first) << " -> " << dtype_name(it->first.second);
  return os.str();
}

InitFromReport init_from(Model& model, const std::map<std::string, Tensor>& file, int64_t num_classes,
                         const std::string& source) {
  nn::LoadWeightsOptions lo;
  lo.strict = false;
  lo.dry_run = true;  // decide first, so that a refused file leaves the model as it was
  // Pre-trained weights are often published in bf16 or f16: they load into
  // the model's dtype (f32 master weights under mixed precision), said in str().
  lo.allow_dtype_cast = true;
  InitFromReport r;
  r.model_classes = num_classes;
  r.load = load_weights(model, file, lo, source);
  // The classifier: mismatched in the leading dimension only, model C, file one other K.
  std::set<int64_t> file_counts;
  bool head_only = true;
  for (const nn::WeightMismatch& m : r.load.mismatched) {
    const bool head = is_floating(m.file_dtype) && is_floating(m.model_dtype) && m.model_shape.rank() >= 1 &&
                      m.file_shape.rank() == m.model_shape.rank() && m.model_shape[0] == num_classes &&
                      m.file_shape[0] != num_classes;
    for (int d = 1; head && d < m.model_shape.rank(); ++d)
      if (m.model_shape[d] != m.file_shape[d]) head_only = false;
    if (!head) head_only = false;
    if (head) file_counts.insert(m.file_shape[0]);
  }
  const bool replace = !r.load.mismatched.empty() && head_only && file_counts.size() == 1;
  if (!r.load.missing.empty() || !r.load.unexpected.empty() || (!r.load.mismatched.empty() && !replace)) {
    CUTRAIN_THROW("cannot initialize the model from '", source, "': ", r.load.str());
  }
  if (replace) {
    r.file_classes = *file_counts.begin();
    for (const nn::WeightMismatch& m : r.load.mismatched) r.replaced.push_back(m.name);
  }
  lo.dry_run = false;
  r.load = load_weights(model, file, lo, source);
  return r;
}

InitFromReport init_from(Model& model, const std::string& path, int64_t num_classes) {
  return init_from(model, nn::read_weight_file(path), num_classes, path);
}

}  // namespace cutrain::train
