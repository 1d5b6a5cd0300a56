// The cast op: the CPU reference against an independent rounding oracle
// (tests/common/round_oracle.h) at every rounding edge of f16 and bf16
// (ties, subnormals, overflow to infinity, NaN), from float and from double
// (one rounding, not two); exact widening; inference errors; the graph
// builder's elision of redundant casts and the backward rule's dtype.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "common/round_oracle.h"
#include "cutrain/cpu/cast.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/ops/cast.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/ops/cast.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

template <typename T>
Tensor host_tensor(const std::vector<T>& v) {
  Tensor t = Tensor::empty(Shape({static_cast<int64_t>(v.size())}), dtype_v<T>);
  std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(T));
  return t;
}

std::vector<uint16_t> bits_of(const Tensor& t) {
  std::vector<uint16_t> b(static_cast<size_t>(t.numel()));
  std::memcpy(b.data(), t.raw_data(), b.size() * 2);
  return b;
}

Tensor cast_call(const Tensor& x, DType to) { return ops::call(ops::kCastOp, {x}, ops::cast_attrs(to))[0]; }

template <typename T>
class CastTyped : public ::testing::Test {};
using CastSources = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CastTyped, CastSources);

TYPED_TEST(CastTyped, RoundsToNearestEvenAtEveryEdge) {
  using T = TypeParam;
  for (const DType to : {DType::f16, DType::bf16}) {
    const bool half = to == DType::f16;
    const std::vector<T> x = cutrain::testing::rounding_edge_inputs<T>(half);
    const std::vector<uint16_t> y = bits_of(cast_call(host_tensor(x), to));
    int64_t wrong = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const uint16_t want = cutrain::testing::oracle_round_16(static_cast<double>(x[i]), half);
      const bool ok = std::isnan(x[i]) ? (y[i] & 0x7fffu) > (half ? 0x7c00u : 0x7f80u) : y[i] == want;
      if (!ok && ++wrong <= 5)
        ADD_FAILURE() << dtype_name(dtype_v<T>) << " -> " << dtype_name(to) << ": " << std::hexfloat
                      << static_cast<double>(x[i]) << " gave 0x" << std::hex << y[i] << ", want 0x" << want;
    }
    EXPECT_EQ(wrong, 0) << "of " << x.size() << " inputs";
  }
}

TYPED_TEST(CastTyped, WideningFrom16BitIsExactAndRoundTrips) {
  using T = TypeParam;
  for (const DType from : {DType::f16, DType::bf16}) {
    const bool half = from == DType::f16;
    std::vector<uint16_t> all(65536);
    for (uint32_t b = 0; b < 65536; ++b) all[b] = static_cast<uint16_t>(b);
    Tensor x = Tensor::empty(Shape({65536}), from);
    std::memcpy(x.raw_data(), all.data(), all.size() * 2);
    const Tensor wide = cast_call(x, dtype_v<T>);
    const Tensor back = cast_call(wide, from);
    const std::vector<uint16_t> rt = bits_of(back);
    const T* w = wide.data<T>();
    for (uint32_t b = 0; b < 65536; ++b) {
      const uint16_t mag = b & 0x7fffu, inf = half ? 0x7c00u : 0x7f80u;
      if (mag > inf) {
        ASSERT_TRUE(std::isnan(w[b])) << std::hex << b;
        ASSERT_TRUE((rt[b] & 0x7fffu) > inf) << std::hex << b;
        continue;
      }
      const double v = mag == inf ? INFINITY : cutrain::testing::oracle_16_value(mag, half);
      ASSERT_EQ(static_cast<double>(w[b]), (b & 0x8000u) ? -v : v) << std::hex << b;
      ASSERT_EQ(std::signbit(w[b]), (b & 0x8000u) != 0) << std::hex << b;
      ASSERT_EQ(rt[b], b) << std::hex << b;
    }
  }
}

TEST(Cast, DoubleTo16BitRoundsOnce) {
  // 1 + 2^-11 + 2^-40 is just above the f16 tie between 1 and 1 + 2^-10: the
  // f32 rounding drops the 2^-40 and lands on the tie, which then goes to
  // even (1.0): rounding twice gives the wrong answer; once gives 1 + 2^-10.
  const double v = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  EXPECT_EQ(static_cast<float>(v), 1.0f + std::ldexp(1.0f, -11));
  EXPECT_EQ(float_to_half_bits(static_cast<float>(v)), 0x3c00u);  // the double rounding
  EXPECT_EQ(bits_of(cast_call(Tensor::full(Shape({1}), DType::f64, v), DType::f16))[0], 0x3c01u);
  const double w = 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40);  // the same for bf16
  EXPECT_EQ(bits_of(cast_call(Tensor::full(Shape({1}), DType::f64, w), DType::bf16))[0], 0x3f81u);
}

TEST(Cast, BetweenF32AndF64AndBetween16BitFormats) {
  const double tie = 1.0 + std::ldexp(1.0, -24), above = 1.0 + 3 * std::ldexp(1.0, -24);
  const Tensor y = cast_call(Tensor::from_vector(Shape({2}), {tie, above}, DType::f64), DType::f32);
  EXPECT_EQ(y.data<float>()[0], 1.0f);
  EXPECT_EQ(y.data<float>()[1], 1.0f + std::ldexp(1.0f, -22));
  // f16 -> bf16 rounds once (f16 is exact in f32); 1 + 2^-7 + 2^-8 is a bf16 tie.
  Tensor h = Tensor::empty(Shape({1}), DType::f16);
  const uint16_t hb = float_to_half_bits(1.0f + std::ldexp(1.0f, -7) + std::ldexp(1.0f, -8));
  std::memcpy(h.raw_data(), &hb, 2);
  EXPECT_EQ(bits_of(cast_call(h, DType::bf16))[0], 0x3f82u);  // tie between 0x3f81 and 0x3f82: even
  const Tensor same = cast_call(Tensor::from_vector(Shape({3}), {1.5, -2, 7}), DType::f32);
  EXPECT_EQ(same.to_vector(), (std::vector<double>{1.5, -2, 7}));
}

TEST(Cast, InferenceNamesTheOpAndTheDtypes) {
  const ops::TensorSpec x{Shape({2, 3}), DType::f32};
  const auto out = ops::infer(ops::kCastOp, ops::cast_attrs(DType::bf16), {x});
  EXPECT_EQ(out.at(0), (ops::TensorSpec{Shape({2, 3}), DType::bf16}));
  try {
    ops::infer(ops::kCastOp, ops::cast_attrs(DType::f16), {{Shape({2}), DType::i64}});
    ADD_FAILURE() << "cast of i64 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("op 'cast'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot cast i64 to f16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::infer(ops::kCastOp, {{"to", std::string("f8")}}, {x}), Error);
  EXPECT_THROW(ops::infer(ops::kCastOp, {}, {x}), Error);
}

TEST(Cast, BuilderElidesRedundantCastsAndTheGradientCastsBack) {
  graph::Graph g;
  const graph::Value x = g.input("x", {Shape({4}), DType::f32});
  EXPECT_EQ(graph::cast(x, DType::f32), x);
  const graph::Value h = graph::cast(x, DType::f16);
  EXPECT_EQ(h.spec().dtype, DType::f16);
  // f16 -> f32 -> bf16 is f16 -> bf16 (the widening step is exact); f16 -> f32 -> f16 is the f16 value.
  const graph::Value hb = graph::cast(graph::cast(h, DType::f32), DType::bf16);
  EXPECT_EQ(g.node(hb.node).inputs.at(0), h);
  EXPECT_EQ(graph::cast(graph::cast(h, DType::f32), DType::f16), h);
  // A narrowing step is not exact: f32 -> f16 -> f32 keeps both casts.
  const graph::Value back = graph::cast(h, DType::f32);
  EXPECT_EQ(g.node(back.node).inputs.at(0), h);

  const graph::Value w = g.parameter("w", Tensor::full(Shape({4}), DType::f32, 0.5));
  const graph::Value loss = graph::sum(graph::cast(graph::cast(w, DType::bf16), DType::f32));
  const auto grads = graph::gradients(g, loss, {w});
  ASSERT_EQ(grads.size(), 1u);
  EXPECT_EQ(grads[0].spec().dtype, DType::f32);
  EXPECT_EQ(grads[0].shape(), Shape({4}));
}

}  // namespace
