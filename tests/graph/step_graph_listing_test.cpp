// The graph builders and backward rules emit the same nodes in the same
// order: the Inception V3 training step (forward with the aux head, both
// losses, autodiff, global-norm clipping, RMSProp and EMA updates) is listed
// node by node (kind, op, name, inputs, attributes, output specs) and compared
// with the listing stored in data/inception_step_graph.txt. Moving a builder
// or a gradient rule between files must not change a line; a deliberate change
// of the graph regenerates the file with CUTRAIN_WRITE_LISTING=1 and says why
// in its commit. Builds the graph only (no execution): well under a second.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/nn/inception_v3.h"

using namespace cutrain;
using graph::Value;

namespace {

std::string listing(const graph::Graph& g) {
  std::ostringstream os;
  for (int i = 0; i < g.size(); ++i) {
    const graph::Node& n = g.node(i);
    os << n.id << ' ' << static_cast<int>(n.kind) << ' ' << n.op << ' ' << n.name << " (";
    for (size_t k = 0; k < n.inputs.size(); ++k)
      os << (k ? " " : "") << n.inputs[k].node << ':' << n.inputs[k].index;
    os << ") " << n.attrs.str() << " ->";
    for (const auto& s : n.outputs) os << ' ' << s.str();
    os << '\n';
  }
  return os.str();
}

std::string build_step_listing() {
  nn::InceptionV3Options o;
  o.num_classes = 10;
  o.image_size = 107;
  o.batch_size = 2;
  o.depth_multiplier = 0.25;
  o.create_aux_logits = true;
  o.seed = 5;
  nn::Model m = nn::inception_v3(o);
  graph::Graph& g = *m.graph;
  const Value labels = g.input("labels", {Shape{2}, DType::i32});
  const Value loss = graph::add(
      graph::weighted_loss_reduce(graph::softmax_cross_entropy(m.logits, labels, 0.1)),
      graph::scale(graph::weighted_loss_reduce(graph::softmax_cross_entropy(m.aux_logits, labels, 0.1)), 0.4));
  std::vector<Value> grads = graph::gradients(g, loss, m.params);
  grads = graph::clip_by_global_norm(grads, 2.0);
  std::vector<Value> ms, mom, shadows;
  for (const Value& p : m.params) {
    ms.push_back(g.state(p.name() + "/rms", Tensor::full(p.shape(), p.dtype(), 1.0)));
    mom.push_back(g.state(p.name() + "/momentum", Tensor::zeros(p.shape(), p.dtype())));
    shadows.push_back(g.state(p.name() + "/ema", Tensor::zeros(p.shape(), p.dtype())));
  }
  ops::RmsPropOptions ro;
  ro.lr = 0.045;
  graph::rmsprop_update(m.params, grads, ms, mom, ro);
  graph::ema_update(shadows, m.params, 0.9999);
  return listing(g);
}

}  // namespace

TEST(StepGraphListing, InceptionStepMatchesStoredListing) {
  const char* src = std::getenv("CUTRAIN_SOURCE_DIR");
  ASSERT_NE(src, nullptr) << "CUTRAIN_SOURCE_DIR is not set (ctest sets it)";
  const std::string path = std::string(src) + "/tests/graph/data/inception_step_graph.txt";
  const std::string got = build_step_listing();
  if (std::getenv("CUTRAIN_WRITE_LISTING")) {
    std::ofstream(path) << got;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream want;
  want << in.rdbuf();
  if (got == want.str()) return;
  // Name the first line that differs rather than printing thousands.
  std::istringstream a(got), b(want.str());
  std::string la, lb;
  int line = 1;
  while (std::getline(a, la) && std::getline(b, lb) && la == lb) ++line;
  FAIL() << path << ": the step graph differs from line " << line << "\n  stored: " << lb
         << "\n  built:  " << la;
}
