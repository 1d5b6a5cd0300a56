// Loss-scaling ops (unscale_check_finite, update_loss_scale), the guarded
// optimizer updates and clip_by_value on the CPU reference, against
// torch.amp.GradScaler's rules and Keras' clipvalue written out here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/ops/op.h"
#include "cutrain/ops/optimizers.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed, DType dt = DType::f64, double lo = -1, double hi = 1) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t.to(dt);
}

Tensor f64_scalar(double v) { return Tensor::full(Shape{}, DType::f64, v); }

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST(UnscaleCheckFinite, DividesByTheScaleAndFlagsInfAndNaN) {
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor a = random({7}, 1, dt, -1000, 1000), b = random({2, 3}, 2, dt, -1000, 1000);
    const Tensor scale = Tensor::full(Shape{}, dt, 65536.0);
    auto out = ops::call("unscale_check_finite", {a, b, scale});
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[2].dtype(), DType::f64);
    EXPECT_EQ(out[2].item(), 0.0);
    // A power-of-two scale: the quotient is exact in either format.
    for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(out[0].flat(i), a.flat(i) / 65536.0);
    for (int64_t i = 0; i < b.numel(); ++i) EXPECT_EQ(out[1].flat(i), b.flat(i) / 65536.0);
    for (double bad : {kInf, -kInf, std::nan("")}) {
      Tensor c = b.clone();
      c.set_flat(4, bad);
      out = ops::call("unscale_check_finite", {a, c, scale});
      EXPECT_EQ(out[2].item(), 1.0) << bad;
    }
  }
  EXPECT_THROW(ops::call("unscale_check_finite", {random({3}, 1), random({3}, 2)}), Error);  // scale of 3 elements
}

namespace {

struct ScalerState {
  Tensor scale, tracker, steps;
};

// One update from `found`; returns the state after it.
void scaler_step(ScalerState& s, bool found, const ops::Attrs& a) {
  ops::call("update_loss_scale", {s.scale, s.tracker, s.steps, f64_scalar(found ? 1.0 : 0.0)}, a);
}

}  // namespace

TEST(UpdateLossScale, GrowsAfterTheIntervalBacksOffOnInfAndCountsAppliedSteps) {
  params::LossScaleUpdate p;
  p.growth_interval = 3;
  const ops::Attrs a = ops::loss_scale_attrs(p);
  ScalerState s{Tensor::full(Shape{}, DType::f32, 1024.0), f64_scalar(0), f64_scalar(0)};
  // torch.amp.GradScaler.update: growth after growth_interval finite steps in
  // a row, backoff (and the tracker reset) on a step with inf/NaN.
  const std::vector<bool> found{false, false, false, false, true, false, false, false};
  const std::vector<double> scale{1024, 1024, 2048, 2048, 1024, 1024, 1024, 2048};
  const std::vector<double> tracker{1, 2, 0, 1, 0, 1, 2, 0};
  const std::vector<double> steps{1, 2, 3, 4, 4, 5, 6, 7};
  for (size_t i = 0; i < found.size(); ++i) {
    scaler_step(s, found[i], a);
    EXPECT_EQ(s.scale.item(), scale[i]) << "step " << i;
    EXPECT_EQ(s.tracker.item(), tracker[i]) << "step " << i;
    EXPECT_EQ(s.steps.item(), steps[i]) << "step " << i;
  }
  // Growing past the format's range keeps the scale (torch checks isfinite).
  p.growth_interval = 1;
  ScalerState big{Tensor::full(Shape{}, DType::f32, 0x1p127), f64_scalar(0), f64_scalar(0)};
  scaler_step(big, false, ops::loss_scale_attrs(p));
  EXPECT_EQ(big.scale.item(), 0x1p127);
  EXPECT_EQ(big.tracker.item(), 0.0);
  // A fixed scale never moves, and still counts only the finite steps.
  p.dynamic = false;
  ScalerState fixed{Tensor::full(Shape{}, DType::f64, 128.0), f64_scalar(0), f64_scalar(0)};
  for (bool f : {false, true, false}) scaler_step(fixed, f, ops::loss_scale_attrs(p));
  EXPECT_EQ(fixed.scale.item(), 128.0);
  EXPECT_EQ(fixed.steps.item(), 2.0);
}

TEST(UpdateLossScale, RejectsGradScalerInvalidFactors) {
  ScalerState s{Tensor::full(Shape{}, DType::f32, 1.0), f64_scalar(0), f64_scalar(0)};
  for (const ops::Attrs& a : {ops::Attrs{{"growth_factor", 1.0}}, ops::Attrs{{"backoff_factor", 1.0}},
                              ops::Attrs{{"growth_interval", int64_t{0}}}})
    EXPECT_THROW(ops::call("update_loss_scale", {s.scale, s.tracker, s.steps, f64_scalar(0)}, a), Error);
  // The counters must be f64.
  EXPECT_THROW(ops::call("update_loss_scale", {s.scale, Tensor::zeros(Shape{}, DType::f32), s.steps, f64_scalar(0)}),
               Error);
}

namespace {

// Runs `op` on copies of `in` (+ the guard inputs), returns the copies.
std::vector<Tensor> run_update(const std::string& op, const std::vector<Tensor>& in, const std::vector<Tensor>& guard,
                               ops::Attrs a) {
  std::vector<Tensor> t;
  for (const Tensor& x : in) t.push_back(x.clone());
  std::vector<Tensor> args = t;
  if (!guard.empty()) {
    a.set("guarded", true);
    args.insert(args.end(), guard.begin(), guard.end());
  }
  ops::call(op, args, a);
  return t;
}

struct UpdateCase {
  std::string op;
  int slots;
  ops::Attrs attrs;
  bool adam;
};

}  // namespace

TEST(GuardedUpdates, SkipBitwiseOnInfAndMatchTheUnguardedUpdateOtherwise) {
  const std::vector<UpdateCase> cases{
      {"sgd_update", 0, ops::sgd_attrs({.lr = 0.1}), false},
      {"sgd_update", 1, ops::sgd_attrs({.lr = 0.1, .momentum = 0.9, .nesterov = true}), false},
      {"rmsprop_update", 2, ops::rmsprop_attrs({.lr = 0.01, .momentum = 0.9}), false},
      {"adam_update", 2, ops::adam_attrs({.lr = 0.01, .step = 1, .weight_decay = 0.1, .decoupled = true}), true},
      {"ema_update", 0, ops::Attrs{{"decay", 0.9}}, false}};
  for (DType dt : {DType::f32, DType::f64})
    for (const UpdateCase& c : cases) {
      SCOPED_TRACE(c.op + " " + std::string(dtype_name(dt)) + " slots " + std::to_string(c.slots));
      std::vector<Tensor> in{random({5, 3}, 1, dt), random({5, 3}, 2, dt)};
      for (int k = 0; k < c.slots; ++k) in.push_back(random({5, 3}, 3 + static_cast<uint64_t>(k), dt, 0, 1));
      // Adam's guard carries the applied-step count: 4 updates so far.
      std::vector<Tensor> skip{f64_scalar(1.0)}, apply{f64_scalar(0.0)};
      if (c.adam) {
        skip.push_back(f64_scalar(4));
        apply.push_back(f64_scalar(4));
      }
      const auto skipped = run_update(c.op, in, skip, c.attrs);
      for (size_t k = 0; k < in.size(); ++k) EXPECT_TRUE(same_bits(skipped[k], in[k])) << "tensor " << k;
      ops::Attrs plain = c.attrs;
      if (c.adam) plain.set("step", int64_t{5});  // count + 1
      const auto guarded = run_update(c.op, in, apply, c.attrs);
      const auto unguarded = run_update(c.op, in, {}, plain);
      for (size_t k = 0; k < in.size(); ++k) EXPECT_TRUE(same_bits(guarded[k], unguarded[k])) << "tensor " << k;
      EXPECT_FALSE(same_bits(guarded[0], in[0]));
    }
}

TEST(GuardedUpdates, TheGuardInputsMustBeF64Scalars) {
  const Tensor w = random({3}, 1), g = random({3}, 2);
  ops::Attrs a = ops::sgd_attrs({.lr = 0.1});
  a.set("guarded", true);
  EXPECT_THROW(ops::call("sgd_update", {w, g, Tensor::zeros(Shape{}, DType::f32)}, a), Error);
  EXPECT_THROW(ops::call("sgd_update", {w, g}, a), Error);  // no flag at all
}

TEST(ClipByValue, ClampsElementwiseAndKeepsNaN) {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor g = random({9}, 5, dt, -3, 3);
    g.set_flat(0, std::nan(""));
    g.set_flat(1, kInf);
    const auto out = ops::call("clip_by_value", {g}, {{"clip_value", 0.5}});
    EXPECT_TRUE(std::isnan(out[0].flat(0)));
    EXPECT_EQ(out[0].flat(1), 0.5);
    for (int64_t i = 2; i < g.numel(); ++i) {
      // Keras: tf.clip_by_value(g, -clipvalue, clipvalue).
      const double want = std::min(std::max(g.flat(i), -0.5), 0.5);
      EXPECT_EQ(out[0].flat(i), want) << "element " << i;
    }
  }
  EXPECT_THROW(ops::call("clip_by_value", {random({3}, 1)}, {{"clip_value", 0.0}}), Error);
}
