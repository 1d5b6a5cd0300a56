// Inception V3 after TF-slim's nets/inception_v3.py: the layer list, scope
// names (including slim's irregular ones, which checkpoint import relies on)
// and the classifier heads.
#include "cutrain/nn/inception_v3.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/graph/ops/softmax.h"
#include "cutrain/nn/layers.h"

namespace cutrain::nn {

namespace {

std::string kernel_name(Kernel k) {
  return std::to_string(k.h) + "x" + std::to_string(k.w);
}

// slim's _reduced_kernel_size_for_small_input: the window never exceeds the map.
Kernel reduced_kernel(Value x, Kernel k) {
  return {std::min(x.shape()[1], k.h), std::min(x.shape()[2], k.w)};
}

struct Builder {
  ModelBuilder& b;
  const InceptionV3Options& o;

  Model& m() { return b.model(); }
  graph::Graph& g() { return b.graph(); }

  int64_t depth(int64_t d) const {
    return std::max(static_cast<int64_t>(static_cast<double>(d) * o.depth_multiplier), o.min_depth);
  }

  Value conv(Value x, int64_t d, Kernel k, const std::string& name, int64_t stride = 1,
             const std::string& padding = "SAME",
             const Initializer& init = Initializer::variance_scaling()) {
    ConvBnOptions c;
    c.bn.gamma = o.bn_gamma;
    c.weights_init = init;
    return conv2d_bn_relu(b, x, depth(d), k, stride, padding, name, c);
  }

  // The branch-3 pool of the Mixed blocks (3x3, stride 1, SAME).
  Value avg3(Value x, const std::string& name) {
    return avg_pool(x, {3, 3}, 1, "SAME", name, o.torchvision_pools);
  }

  Value endpoint(const std::string& name, Value v) {
    m().add_endpoint(name, v);
    return v;
  }

  Value stem(Value x) {
    x = endpoint("Conv2d_1a_3x3", conv(x, 32, {3, 3}, "Conv2d_1a_3x3", 2, "VALID"));
    x = endpoint("Conv2d_2a_3x3", conv(x, 32, {3, 3}, "Conv2d_2a_3x3", 1, "VALID"));
    x = endpoint("Conv2d_2b_3x3", conv(x, 64, {3, 3}, "Conv2d_2b_3x3", 1, "SAME"));
    x = endpoint("MaxPool_3a_3x3", max_pool(x, {3, 3}, 2, "VALID", "MaxPool_3a_3x3"));
    x = endpoint("Conv2d_3b_1x1", conv(x, 80, {1, 1}, "Conv2d_3b_1x1", 1, "VALID"));
    x = endpoint("Conv2d_4a_3x3", conv(x, 192, {3, 3}, "Conv2d_4a_3x3", 1, "VALID"));
    return endpoint("MaxPool_5a_3x3", max_pool(x, {3, 3}, 2, "VALID", "MaxPool_5a_3x3"));
  }

  Value mixed(const std::string& name, std::vector<std::function<Value()>> branches) {
    graph::NameScope s(g(), name);
    std::vector<Value> outs;
    for (size_t i = 0; i < branches.size(); ++i) {
      graph::NameScope bs(g(), "Branch_" + std::to_string(i));
      outs.push_back(branches[i]());
    }
    return graph::concat(outs, 3);
  }

  // Mixed_5b/5c/5d (35x35). Mixed_5c's branch 1 carries slim's odd names.
  Value mixed_5(Value x, const std::string& name, int64_t pool_depth, const std::string& b1_first,
                const std::string& b1_second) {
    return endpoint(
        name,
        mixed(name,
              {
                  [&] {
                    return conv(x, 64, {1, 1}, "Conv2d_0a_1x1");
                  },
                  [&] {
                    return conv(conv(x, 48, {1, 1}, b1_first), 64, {5, 5}, b1_second);
                  },
                  [&] {
                    Value y = conv(x, 64, {1, 1}, "Conv2d_0a_1x1");
                    y = conv(y, 96, {3, 3}, "Conv2d_0b_3x3");
                    return conv(y, 96, {3, 3}, "Conv2d_0c_3x3");
                  },
                  [&] {
                    return conv(avg3(x, "AvgPool_0a_3x3"), pool_depth, {1, 1}, "Conv2d_0b_1x1");
                  },
              }));
  }

  Value mixed_6a(Value x) {
    return endpoint(
        "Mixed_6a",
        mixed("Mixed_6a", {
                              [&] {
                                return conv(x, 384, {3, 3}, "Conv2d_1a_1x1", 2, "VALID");
                              },
                              [&] {
                                Value y = conv(x, 64, {1, 1}, "Conv2d_0a_1x1");
                                y = conv(y, 96, {3, 3}, "Conv2d_0b_3x3");
                                return conv(y, 96, {3, 3}, "Conv2d_1a_1x1", 2, "VALID");
                              },
                              [&] {
                                return max_pool(x, {3, 3}, 2, "VALID", "MaxPool_1a_3x3");
                              },
                          }));
  }

  // Mixed_6b..6e (17x17) with factorized 7x7s of width c.
  Value mixed_6(Value x, const std::string& name, int64_t c) {
    return endpoint(
        name,
        mixed(name, {
                        [&] {
                          return conv(x, 192, {1, 1}, "Conv2d_0a_1x1");
                        },
                        [&] {
                          Value y = conv(x, c, {1, 1}, "Conv2d_0a_1x1");
                          y = conv(y, c, {1, 7}, "Conv2d_0b_1x7");
                          return conv(y, 192, {7, 1}, "Conv2d_0c_7x1");
                        },
                        [&] {
                          Value y = conv(x, c, {1, 1}, "Conv2d_0a_1x1");
                          y = conv(y, c, {7, 1}, "Conv2d_0b_7x1");
                          y = conv(y, c, {1, 7}, "Conv2d_0c_1x7");
                          y = conv(y, c, {7, 1}, "Conv2d_0d_7x1");
                          return conv(y, 192, {1, 7}, "Conv2d_0e_1x7");
                        },
                        [&] {
                          return conv(avg3(x, "AvgPool_0a_3x3"), 192, {1, 1}, "Conv2d_0b_1x1");
                        },
                    }));
  }

  Value mixed_7a(Value x) {
    return endpoint(
        "Mixed_7a",
        mixed("Mixed_7a", {
                              [&] {
                                return conv(conv(x, 192, {1, 1}, "Conv2d_0a_1x1"), 320, {3, 3},
                                            "Conv2d_1a_3x3", 2, "VALID");
                              },
                              [&] {
                                Value y = conv(x, 192, {1, 1}, "Conv2d_0a_1x1");
                                y = conv(y, 192, {1, 7}, "Conv2d_0b_1x7");
                                y = conv(y, 192, {7, 1}, "Conv2d_0c_7x1");
                                return conv(y, 192, {3, 3}, "Conv2d_1a_3x3", 2, "VALID");
                              },
                              [&] {
                                return max_pool(x, {3, 3}, 2, "VALID", "MaxPool_1a_3x3");
                              },
                          }));
  }

  // Mixed_7b/7c (8x8): the 3x3s split into parallel 1x3 and 3x1 halves.
  // Mixed_7b names branch 1's halves 0b/0b, Mixed_7c 0b/0c (slim's quirk).
  Value mixed_7(Value x, const std::string& name, const std::string& b1_3x1) {
    return endpoint(
        name,
        mixed(name, {
                        [&] {
                          return conv(x, 320, {1, 1}, "Conv2d_0a_1x1");
                        },
                        [&] {
                          const Value y = conv(x, 384, {1, 1}, "Conv2d_0a_1x1");
                          return graph::concat(
                              {conv(y, 384, {1, 3}, "Conv2d_0b_1x3"), conv(y, 384, {3, 1}, b1_3x1)},
                              3);
                        },
                        [&] {
                          Value y = conv(x, 448, {1, 1}, "Conv2d_0a_1x1");
                          y = conv(y, 384, {3, 3}, "Conv2d_0b_3x3");
                          return graph::concat({conv(y, 384, {1, 3}, "Conv2d_0c_1x3"),
                                              conv(y, 384, {3, 1}, "Conv2d_0d_3x1")},
                                             3);
                        },
                        [&] {
                          return conv(avg3(x, "AvgPool_0a_3x3"), 192, {1, 1}, "Conv2d_0b_1x1");
                        },
                    }));
  }

  Value squeeze(Value x) {
    if (!o.spatial_squeeze) return x;
    graph::NameScope s(g(), "SpatialSqueeze");
    return graph::squeeze(x, {1, 2});
  }

  void aux_head(Value mixed_6e) {
    graph::NameScope s(g(), "AuxLogits");
    Value y = avg_pool(mixed_6e, {5, 5}, 3, "VALID", "AvgPool_1a_5x5");
    y = conv(y, 128, {1, 1}, "Conv2d_1b_1x1");
    const Kernel k = reduced_kernel(y, {5, 5});
    y = conv(y, 768, k, "Conv2d_2a_" + kernel_name(k), 1, "VALID",
             Initializer::truncated_normal(0.01));
    ConvOptions c;
    c.weights_init = Initializer::truncated_normal(0.001);
    y = conv2d(b, y, o.num_classes, {1, 1}, 1, "SAME", "Conv2d_2b_1x1", c);
    m().aux_logits = endpoint("AuxLogits", squeeze(y));
  }

  void logits_head(Value x) {
    graph::NameScope s(g(), "Logits");
    if (o.global_pool) {
      x = endpoint("global_pool", global_avg_pool(x, true, "GlobalPool"));
    } else {
      const Kernel k = reduced_kernel(x, {8, 8});
      x = endpoint("AvgPool_1a", avg_pool(x, k, 1, "VALID", "AvgPool_1a_" + kernel_name(k)));
    }
    if (o.num_classes == 0) return;
    x = endpoint("PreLogits", dropout(x, o.dropout_keep_prob, "Dropout_1b"));
    const Value y = conv2d(b, x, o.num_classes, {1, 1}, 1, "SAME", "Conv2d_1c_1x1");
    m().logits = endpoint("Logits", squeeze(y));
  }
};

void check_options(const InceptionV3Options& o) {
  CUTRAIN_CHECK(o.depth_multiplier > 0.0,
                "inception_v3: depth_multiplier must be greater than zero, got ",
                o.depth_multiplier);
  CUTRAIN_CHECK(o.min_depth > 0, "inception_v3: min_depth must be positive, got ", o.min_depth);
  CUTRAIN_CHECK(o.num_classes >= 0, "inception_v3: num_classes must be >= 0, got ", o.num_classes);
  CUTRAIN_CHECK(o.batch_size > 0, "inception_v3: batch_size must be positive, got ", o.batch_size);
  CUTRAIN_CHECK(o.channels > 0, "inception_v3: channels must be positive, got ", o.channels);
  CUTRAIN_CHECK(o.dropout_keep_prob > 0.0 && o.dropout_keep_prob <= 1.0,
                "inception_v3: dropout_keep_prob must be in (0, 1], got ", o.dropout_keep_prob);
  CUTRAIN_CHECK(o.dtype == DType::f32 || o.dtype == DType::f64,
                "inception_v3: dtype must be f32 or f64, got ", dtype_name(o.dtype));
  const bool aux = o.create_aux_logits && o.num_classes > 0;
  const int64_t min = inception_v3_min_image_size(aux);
  CUTRAIN_CHECK(o.image_size >= min, "inception_v3: input ", o.image_size, "x", o.image_size,
                " is too small; the minimum is ", min, "x", min,
                aux ? " with the aux head (75x75 without it: create_aux_logits = false)" : "");
}

}  // namespace

int64_t inception_v3_min_image_size(bool create_aux_logits) {
  // 75: Mixed_7a's stride-2 VALID 3x3 needs a 3x3 map. 107: the aux head's
  // 5x5 VALID pool needs a 5x5 Mixed_6e.
  return create_aux_logits ? 107 : 75;
}

InceptionV3Options InceptionV3Options::torchvision(int64_t num_classes, int64_t image_size, int64_t batch_size) {
  InceptionV3Options o;
  o.num_classes = num_classes;
  o.image_size = image_size;
  o.batch_size = batch_size;
  o.is_training = false;
  o.dropout_keep_prob = 1.0;
  o.bn_gamma = true;
  o.torchvision_pools = true;
  o.initialize = false;
  return o;
}

Model inception_v3(const InceptionV3Options& o) {
  check_options(o);
  Model model;
  model.name = "InceptionV3";
  model.training = o.is_training;
  ModelBuilder mb(model, o.dtype, o.seed);
  mb.set_initialize(o.initialize);
  model.input = mb.graph().input(
      "images", {Shape({o.batch_size, o.image_size, o.image_size, o.channels}), o.dtype});

  Builder net{mb, o};
  graph::NameScope scope(mb.graph(), model.name);
  Value x = net.stem(model.input);
  x = net.mixed_5(x, "Mixed_5b", 32, "Conv2d_0a_1x1", "Conv2d_0b_5x5");
  x = net.mixed_5(x, "Mixed_5c", 64, "Conv2d_0b_1x1", "Conv_1_0c_5x5");
  x = net.mixed_5(x, "Mixed_5d", 64, "Conv2d_0a_1x1", "Conv2d_0b_5x5");
  x = net.mixed_6a(x);
  x = net.mixed_6(x, "Mixed_6b", 128);
  x = net.mixed_6(x, "Mixed_6c", 160);
  x = net.mixed_6(x, "Mixed_6d", 160);
  x = net.mixed_6(x, "Mixed_6e", 192);
  const Value mixed_6e = x;
  x = net.mixed_7a(x);
  x = net.mixed_7(x, "Mixed_7b", "Conv2d_0b_3x1");
  x = net.mixed_7(x, "Mixed_7c", "Conv2d_0c_3x1");
  if (o.create_aux_logits && o.num_classes > 0) net.aux_head(mixed_6e);
  net.logits_head(x);
  if (model.logits.defined()) {
    graph::NameScope s(mb.graph(), "Predictions");
    model.predictions = net.endpoint("Predictions", graph::softmax(model.logits));
  }
  return model;
}

}  // namespace cutrain::nn
