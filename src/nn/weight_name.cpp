// The one naming scheme of saved weights (nn/weights.h), apart from the rest
// of the weights API so that the checkpoint code (and its fuzz target) links
// it alone.
#include <map>
#include <sstream>
#include <string>

#include "cutrain/nn/weights.h"

namespace cutrain::nn {

std::string weight_name(const std::string& graph_name) {
  static const std::map<std::string, std::string> kRename{
      {"weights", "weight"},           {"biases", "bias"},
      {"gamma", "weight"},             {"beta", "bias"},
      {"moving_mean", "running_mean"}, {"moving_variance", "running_var"}};
  std::string out;
  std::stringstream ss(graph_name);
  std::string part;
  bool first = true;
  while (std::getline(ss, part, '/')) {
    auto it = kRename.find(part);
    if (!first) out += '.';
    out += it == kRename.end() ? part : it->second;
    first = false;
  }
  return out;
}

}  // namespace cutrain::nn
