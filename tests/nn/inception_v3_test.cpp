// Inception V3 topology: parameter counts against REFERENCE.md section 1,
// endpoint shapes at 299x299, slim's scope names, size limits, depth
// multiplier, and a small forward pass through the reference executor.
#include "cutrain/nn/inception_v3.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "cutrain/graph/executor.h"
#include "cutrain/nn/summary.h"

using namespace cutrain;
using nn::InceptionV3Options;
using nn::Model;

namespace {

InceptionV3Options at299(int64_t classes, bool aux, bool gamma = false) {
  InceptionV3Options o;
  o.num_classes = classes;
  o.batch_size = 1;
  o.create_aux_logits = aux;
  o.bn_gamma = gamma;
  o.initialize = false;  // shapes and names only; values are tested where drawn
  return o;
}

Shape param_shape(const Model& m, const std::string& name) {
  const graph::Value v = m.graph->find(name);
  EXPECT_EQ(m.graph->node(v.node).kind, graph::NodeKind::parameter) << name;
  return v.shape();
}

bool has_node_with_prefix(const Model& m, const std::string& prefix) {
  for (const graph::Node& n : m.graph->nodes())
    if (n.name.rfind(prefix, 0) == 0) return true;
  return false;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(InceptionV3, TrainableParameterCountsMatchSlim) {
  EXPECT_EQ(nn::inception_v3(at299(1001, true)).trainable_parameter_count(), 27145970);
  EXPECT_EQ(nn::inception_v3(at299(1001, false)).trainable_parameter_count(), 23819401);
  EXPECT_EQ(nn::inception_v3(at299(1000, true)).trainable_parameter_count(), 27143152);
  EXPECT_EQ(nn::inception_v3(at299(1000, true, true)).trainable_parameter_count(), 27161264);
}

TEST(InceptionV3, BatchNormStatisticsCoverEveryConvChannel) {
  const Model m = nn::inception_v3(at299(1001, true));
  EXPECT_EQ(m.bn_state_element_count(), 2 * 18112);
  EXPECT_EQ(m.state_element_count(), 2 * 18112);
  // One moving mean and one moving variance per conv+BN layer: 94 in the
  // trunk and 2 in the aux head.
  EXPECT_EQ(m.bn_states.size(), 2u * 96u);
  for (const graph::Value& s : m.bn_states) {
    const std::string& n = s.name();
    EXPECT_TRUE(n.ends_with("/BatchNorm/moving_mean") || n.ends_with("/BatchNorm/moving_variance"))
        << n;
  }
}

TEST(InceptionV3, WeightDecayListHoldsExactlyTheConvWeights) {
  const Model m = nn::inception_v3(at299(1001, true, true));
  std::set<int> decayed;
  for (const graph::Value& v : m.weight_decay_params) decayed.insert(v.node);
  EXPECT_EQ(decayed.size(), m.weight_decay_params.size());
  size_t weights = 0;
  for (const graph::Value& p : m.params) {
    const bool is_weight = p.name().ends_with("/weights");
    weights += is_weight;
    EXPECT_EQ(decayed.count(p.node) == 1, is_weight) << p.name();
  }
  EXPECT_EQ(weights, 96u + 2u);  // BN convs plus the two classifier convs
  EXPECT_EQ(m.params.size(), m.graph->parameters().size());
}

TEST(InceptionV3, EndpointShapesAt299MatchTheTable) {
  const Model m = nn::inception_v3(at299(1001, true));
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"Conv2d_1a_3x3", Shape({1, 149, 149, 32})},
      {"Conv2d_2a_3x3", Shape({1, 147, 147, 32})},
      {"Conv2d_2b_3x3", Shape({1, 147, 147, 64})},
      {"MaxPool_3a_3x3", Shape({1, 73, 73, 64})},
      {"Conv2d_3b_1x1", Shape({1, 73, 73, 80})},
      {"Conv2d_4a_3x3", Shape({1, 71, 71, 192})},
      {"MaxPool_5a_3x3", Shape({1, 35, 35, 192})},
      {"Mixed_5b", Shape({1, 35, 35, 256})},
      {"Mixed_5c", Shape({1, 35, 35, 288})},
      {"Mixed_5d", Shape({1, 35, 35, 288})},
      {"Mixed_6a", Shape({1, 17, 17, 768})},
      {"Mixed_6b", Shape({1, 17, 17, 768})},
      {"Mixed_6c", Shape({1, 17, 17, 768})},
      {"Mixed_6d", Shape({1, 17, 17, 768})},
      {"Mixed_6e", Shape({1, 17, 17, 768})},
      {"Mixed_7a", Shape({1, 8, 8, 1280})},
      {"Mixed_7b", Shape({1, 8, 8, 2048})},
      {"Mixed_7c", Shape({1, 8, 8, 2048})},
      {"AuxLogits", Shape({1, 1001})},
      {"AvgPool_1a", Shape({1, 1, 1, 2048})},
      {"PreLogits", Shape({1, 1, 1, 2048})},
      {"Logits", Shape({1, 1001})},
      {"Predictions", Shape({1, 1001})},
  };
  ASSERT_EQ(m.endpoint_order.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(m.endpoint_order[i], expected[i].first);
    EXPECT_EQ(m.endpoint(expected[i].first).shape(), expected[i].second) << expected[i].first;
  }
  EXPECT_EQ(m.input.shape(), Shape({1, 299, 299, 3}));
  EXPECT_TRUE(m.logits == m.endpoint("Logits"));
  EXPECT_TRUE(m.aux_logits == m.endpoint("AuxLogits"));
  EXPECT_TRUE(m.predictions == m.endpoint("Predictions"));
  EXPECT_NE(error_of([&] { m.endpoint("Mixed_8a"); }).find("Mixed_7c"), std::string::npos);
}

TEST(InceptionV3, ScopeNamesFollowSlimIncludingItsQuirks) {
  const Model m = nn::inception_v3(at299(1001, true));
  EXPECT_EQ(param_shape(m, "InceptionV3/Conv2d_1a_3x3/weights"), Shape({32, 3, 3, 3}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Conv2d_1a_3x3/BatchNorm/beta"), Shape({32}));
  EXPECT_EQ(m.graph->find("InceptionV3/Conv2d_1a_3x3/BatchNorm/moving_variance").shape(),
            Shape({32}));
  EXPECT_THROW(m.graph->find("InceptionV3/Conv2d_1a_3x3/BatchNorm/gamma"), Error);
  EXPECT_THROW(m.graph->find("InceptionV3/Conv2d_1a_3x3/biases"), Error);
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_5b/Branch_1/Conv2d_0b_5x5/weights"),
            Shape({64, 5, 5, 48}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_5c/Branch_1/Conv2d_0b_1x1/weights"),
            Shape({48, 1, 1, 256}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_5c/Branch_1/Conv_1_0c_5x5/weights"),
            Shape({64, 5, 5, 48}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_5d/Branch_1/Conv2d_0b_5x5/weights"),
            Shape({64, 5, 5, 48}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_6a/Branch_0/Conv2d_1a_1x1/weights"),
            Shape({384, 3, 3, 288}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_6a/Branch_1/Conv2d_1a_1x1/weights"),
            Shape({96, 3, 3, 96}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_6b/Branch_1/Conv2d_0b_1x7/weights"),
            Shape({128, 1, 7, 128}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_6e/Branch_2/Conv2d_0e_1x7/weights"),
            Shape({192, 1, 7, 192}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_7a/Branch_0/Conv2d_1a_3x3/weights"),
            Shape({320, 3, 3, 192}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_7b/Branch_1/Conv2d_0b_1x3/weights"),
            Shape({384, 1, 3, 384}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_7b/Branch_1/Conv2d_0b_3x1/weights"),
            Shape({384, 3, 1, 384}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_7c/Branch_1/Conv2d_0c_3x1/weights"),
            Shape({384, 3, 1, 384}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_7c/Branch_2/Conv2d_0d_3x1/weights"),
            Shape({384, 3, 1, 384}));
  EXPECT_EQ(param_shape(m, "InceptionV3/AuxLogits/Conv2d_1b_1x1/weights"), Shape({128, 1, 1, 768}));
  EXPECT_EQ(param_shape(m, "InceptionV3/AuxLogits/Conv2d_2a_5x5/weights"), Shape({768, 5, 5, 128}));
  EXPECT_EQ(param_shape(m, "InceptionV3/AuxLogits/Conv2d_2b_1x1/biases"), Shape({1001}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Logits/Conv2d_1c_1x1/weights"), Shape({1001, 1, 1, 2048}));
  EXPECT_EQ(param_shape(m, "InceptionV3/Logits/Conv2d_1c_1x1/biases"), Shape({1001}));
  EXPECT_TRUE(has_node_with_prefix(m, "InceptionV3/Logits/AvgPool_1a_8x8/"));
  EXPECT_TRUE(has_node_with_prefix(m, "InceptionV3/Logits/Dropout_1b/"));
  EXPECT_TRUE(has_node_with_prefix(m, "InceptionV3/AuxLogits/AvgPool_1a_5x5/"));
}

TEST(InceptionV3, SmallInputsReduceTheHeadKernelsAndTheirScopeNames) {
  InceptionV3Options o = at299(10, true);
  o.image_size = 107;
  const Model m = nn::inception_v3(o);
  EXPECT_EQ(m.endpoint("Mixed_6e").shape(), Shape({1, 5, 5, 768}));
  EXPECT_EQ(m.endpoint("Mixed_7c").shape(), Shape({1, 2, 2, 2048}));
  EXPECT_EQ(param_shape(m, "InceptionV3/AuxLogits/Conv2d_2a_1x1/weights"), Shape({768, 1, 1, 128}));
  EXPECT_TRUE(has_node_with_prefix(m, "InceptionV3/Logits/AvgPool_1a_2x2/"));
  EXPECT_FALSE(has_node_with_prefix(m, "InceptionV3/Logits/AvgPool_1a_8x8/"));
  EXPECT_EQ(m.logits.shape(), Shape({1, 10}));
  EXPECT_EQ(m.aux_logits.shape(), Shape({1, 10}));
}

TEST(InceptionV3, RejectsInputsBelowTheMinimumNamingTheSize) {
  InceptionV3Options o = at299(10, false);
  o.image_size = 74;
  const std::string e = error_of([&] { nn::inception_v3(o); });
  EXPECT_NE(e.find("74x74"), std::string::npos) << e;
  EXPECT_NE(e.find("75x75"), std::string::npos) << e;
  o.image_size = 75;
  EXPECT_EQ(nn::inception_v3(o).endpoint("Mixed_7c").shape(), Shape({1, 1, 1, 2048}));

  o.create_aux_logits = true;
  o.image_size = 106;
  const std::string e2 = error_of([&] { nn::inception_v3(o); });
  EXPECT_NE(e2.find("106x106"), std::string::npos) << e2;
  EXPECT_NE(e2.find("107x107"), std::string::npos) << e2;
  o.image_size = 107;
  EXPECT_NO_THROW(nn::inception_v3(o));
  EXPECT_EQ(nn::inception_v3_min_image_size(false), 75);
  EXPECT_EQ(nn::inception_v3_min_image_size(true), 107);
}

TEST(InceptionV3, DepthMultiplierScalesChannelsWithTheMinimumDepth) {
  InceptionV3Options o = at299(1001, true);
  o.depth_multiplier = 0.5;
  const Model m = nn::inception_v3(o);
  EXPECT_EQ(m.endpoint("Conv2d_1a_3x3").shape()[3], 16);
  EXPECT_EQ(m.endpoint("Conv2d_2b_3x3").shape()[3], 32);
  EXPECT_EQ(m.endpoint("Conv2d_4a_3x3").shape()[3], 96);
  EXPECT_EQ(m.endpoint("Mixed_5b").shape()[3], 32 + 32 + 48 + 16);
  EXPECT_EQ(m.endpoint("Mixed_5c").shape()[3], 32 + 32 + 48 + 32);
  EXPECT_EQ(m.endpoint("Mixed_6a").shape()[3], 192 + 48 + 144);
  EXPECT_EQ(m.endpoint("Mixed_6e").shape()[3], 4 * 96);
  EXPECT_EQ(m.endpoint("Mixed_7a").shape()[3], 160 + 96 + 384);
  EXPECT_EQ(m.endpoint("Mixed_7c").shape()[3], 160 + 384 + 384 + 96);
  EXPECT_EQ(param_shape(m, "InceptionV3/AuxLogits/Conv2d_2a_5x5/weights"), Shape({384, 5, 5, 64}));
  EXPECT_EQ(m.logits.shape(), Shape({1, 1001}));  // classes are never scaled

  o.depth_multiplier = 0.1;  // every 1x1 of Mixed_5b falls to min_depth
  EXPECT_EQ(nn::inception_v3(o).endpoint("Mixed_5b").shape()[3], 4 * 16);
  o.min_depth = 8;
  EXPECT_EQ(nn::inception_v3(o).endpoint("Mixed_5b").shape()[3], 8 + 8 + 9 + 8);

  for (double bad : {0.0, -1.0}) {
    o.depth_multiplier = bad;
    EXPECT_NE(error_of([&] { nn::inception_v3(o); }).find("depth_multiplier"), std::string::npos);
  }
}

TEST(InceptionV3, OptionalPartsFollowTheOptions) {
  InceptionV3Options o = at299(1000, true, true);
  o.image_size = 139;
  o.torchvision_pools = true;
  o.global_pool = true;
  o.spatial_squeeze = false;
  const Model m = nn::inception_v3(o);
  EXPECT_EQ(param_shape(m, "InceptionV3/Mixed_6b/Branch_3/Conv2d_0b_1x1/BatchNorm/gamma"),
            Shape({192}));
  for (double g :
       m.graph->tensor_of(m.graph->find("InceptionV3/Conv2d_1a_3x3/BatchNorm/gamma")).to_vector())
    EXPECT_EQ(g, 1.0);
  int include_pad_pools = 0;
  for (const graph::Node& n : m.graph->nodes())
    if (n.op == "avg_pool" && n.attrs.b("count_include_pad", false)) ++include_pad_pools;
  EXPECT_EQ(include_pad_pools, 3 + 4 + 2);  // the branch-3 pools of Mixed_5*, 6b-e, 7b-c
  EXPECT_EQ(m.endpoint("global_pool").shape(), Shape({1, 1, 1, 2048}));
  EXPECT_EQ(m.endpoints.count("AvgPool_1a"), 0u);
  EXPECT_EQ(m.logits.shape(), Shape({1, 1, 1, 1000}));
  EXPECT_EQ(m.aux_logits.shape(), Shape({1, 1, 1, 1000}));

  InceptionV3Options headless = at299(0, true);
  headless.image_size = 75;  // no classes: no aux head, so 75 suffices
  const Model h = nn::inception_v3(headless);
  EXPECT_FALSE(h.logits.defined());
  EXPECT_FALSE(h.aux_logits.defined());
  EXPECT_EQ(h.endpoint_order.back(), "AvgPool_1a");
  for (const graph::Value& p : h.params)  // shape-only build: no weight drawn
    EXPECT_EQ(h.graph->tensor_of(p).to_vector(),
              std::vector<double>(static_cast<size_t>(p.shape().numel()), 0.0));
}

TEST(InceptionV3, SameSeedSameWeightsAndParametersIndependentOfTheHeads) {
  InceptionV3Options o = at299(10, true);
  o.initialize = true;
  o.image_size = 107;
  o.depth_multiplier = 0.25;
  o.seed = 7;
  const Model a = nn::inception_v3(o), b = nn::inception_v3(o);
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i)
    EXPECT_EQ(max_abs_diff(a.graph->tensor_of(a.params[i]), b.graph->tensor_of(b.params[i])), 0.0);
  o.create_aux_logits = false;
  const Model c = nn::inception_v3(o);
  const std::string w = "InceptionV3/Mixed_7c/Branch_2/Conv2d_0b_3x3/weights";
  EXPECT_EQ(
      max_abs_diff(a.graph->tensor_of(a.graph->find(w)), c.graph->tensor_of(c.graph->find(w))),
      0.0);
  o.seed = 8;
  const Model d = nn::inception_v3(o);
  EXPECT_GT(
      max_abs_diff(a.graph->tensor_of(a.graph->find(w)), d.graph->tensor_of(d.graph->find(w))),
      0.0);
}

TEST(InceptionV3, ConvWeightInitialStddevMatchesSlim) {
  InceptionV3Options o = at299(1001, false);
  o.initialize = true;
  o.image_size = 75;
  o.depth_multiplier = 0.5;
  const Model m = nn::inception_v3(o);
  const Tensor w =
      m.graph->tensor_of(m.graph->find("InceptionV3/Mixed_7c/Branch_2/Conv2d_0b_3x3/weights"));
  ASSERT_EQ(w.shape(), Shape({192, 3, 3, 224}));
  const std::vector<double> v = w.to_vector();
  double sum = 0, sq = 0, maxabs = 0;
  for (double x : v) {
    sum += x;
    sq += x * x;
    maxabs = std::max(maxabs, std::abs(x));
  }
  const double n = static_cast<double>(v.size());
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  const double base = std::sqrt(1.3 * 2.0 / (3 * 3 * 224));
  const double expected = base * 0.8796;       // stddev of N(0,1) truncated at +-2
  EXPECT_NEAR(sd, expected, 0.01 * expected);  // ~7 standard errors at n = 387,072
  EXPECT_NEAR(mean, 0.0, 5.0 * expected / std::sqrt(n));
  EXPECT_LE(maxabs, 2.0 * base * (1 + 1e-6));
  EXPECT_GT(maxabs, 1.9 * base);
}

TEST(InceptionV3, SmallForwardPassGivesFiniteLogits) {
  InceptionV3Options o;
  o.num_classes = 10;
  o.image_size = 75;
  o.batch_size = 2;
  o.create_aux_logits = false;
  o.depth_multiplier = 0.25;
  o.dtype = DType::f64;
  o.seed = 3;
  o.initialize = true;
  Model m = nn::inception_v3(o);
  Tensor images = Tensor::empty(m.input.shape(), DType::f64);
  images.uniform(-1.0, 1.0, 11);
  graph::Executor ex(*m.graph, Device::cpu());
  for (bool training : {false, true}) {
    const auto out = ex.run({{m.input, images}}, {m.logits, m.predictions}, {training});
    ASSERT_EQ(out[0].shape(), Shape({2, 10}));
    for (double x : out[0].to_vector()) EXPECT_TRUE(std::isfinite(x));
    for (int64_t r = 0; r < 2; ++r) {
      double s = 0;
      for (int64_t c = 0; c < 10; ++c) s += out[1].at({r, c});
      EXPECT_NEAR(s, 1.0, 1e-12);
    }
    // Different images give different logits (the net is not collapsed).
    EXPECT_GT(std::abs(out[0].at({0, 0}) - out[0].at({1, 0})) +
                  std::abs(out[0].at({0, 1}) - out[0].at({1, 1})),
              0.0);
  }
}

TEST(InceptionV3, SummaryListsEndpointsAndTotals) {
  const Model m = nn::inception_v3(at299(1000, true));
  const std::string s = nn::summary(m);
  EXPECT_NE(s.find("Trainable params: 27,143,152"), std::string::npos) << s;
  EXPECT_NE(s.find("Non-trainable params: 36,224"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 27,179,376"), std::string::npos) << s;
  EXPECT_NE(s.find("[1, 8, 8, 2048]"), std::string::npos);
  // Conv2d_1a_3x3: 3*3*3*32 weights + 32 betas.
  const size_t row = s.find("Conv2d_1a_3x3");
  ASSERT_NE(row, std::string::npos);
  const std::string line = s.substr(row, s.find('\n', row) - row);
  EXPECT_NE(line.find("896"), std::string::npos) << line;
  EXPECT_EQ(nn::group_thousands(27145970), "27,145,970");
  EXPECT_EQ(nn::group_thousands(999), "999");
  EXPECT_EQ(nn::group_thousands(1000), "1,000");
}
