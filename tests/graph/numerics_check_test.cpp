// The numerics check of both executors: a finite step is unchanged; the first
// op that makes a NaN or an infinity is named with its node, step and phase
// (forward, backward), a non-finite leaf is reported as already non-finite,
// on one or several streams and with graph replay.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "cutrain/core/error.h"
#include "cutrain/cpu/check_finite.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/planned_executor.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

// loss = sum(sqrt(w * x)): for x = 0 the forward is finite (0) and the
// backward of sqrt divides by it (inf); for x < 0 the forward is NaN.
struct Net {
  Graph g;
  Value x, w, y, loss, grad;
  Net() {
    x = g.input("x", {Shape({2, 3}), DType::f32});
    w = g.parameter("w", Tensor::full(Shape({2, 3}), DType::f32, 2.0));
    {
      graph::NameScope s(g, "block");
      y = graph::sqrt(graph::mul(w, x));
    }
    loss = graph::sum(y);
    grad = graph::gradients(g, loss, {w}).at(0);
  }
};

Tensor feed(float v) { return Tensor::full(Shape({2, 3}), DType::f32, v); }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

graph::PlannedExecutorOptions planned(bool replay, bool streams) {
  graph::PlannedExecutorOptions o;
  o.graph_replay = replay;
  o.streams = streams;
  o.check_numerics = true;
  return o;
}

}  // namespace

TEST(CheckFinite, CpuReferenceFindsNaNAndInfInEveryFloatType) {
  for (DType t : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    Tensor a = Tensor::full(Shape({5}), t, 1.5);
    EXPECT_EQ(cpu::first_non_finite(a), -1) << dtype_name(t);
    a.set_flat(3, std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(cpu::first_non_finite(a), 3) << dtype_name(t);
    Tensor b = Tensor::full(Shape({5}), t, -65000.0);
    b.set_flat(1, -std::numeric_limits<double>::infinity());
    EXPECT_EQ(cpu::first_non_finite(b), 1) << dtype_name(t);
  }
  EXPECT_EQ(cpu::first_non_finite(Tensor::full(Shape({4}), DType::i32, -1)), -1);
}

TEST(NumericsCheck, FiniteStepsGiveTheSameValues) {
  Net a, b;
  graph::Executor plain(a.g, Device::cpu());
  graph::PlannedExecutor checked(b.g, Device::cpu(), planned(true, true));
  for (int i = 0; i < 3; ++i) {
    const auto r0 = plain.run({{a.x, feed(1.0f + i)}}, {a.loss, a.grad});
    const auto r1 = checked.run({{b.x, feed(1.0f + i)}}, {b.loss, b.grad});
    EXPECT_EQ(r0[0].item(), r1[0].item());
    EXPECT_EQ(r0[1].to(Device::cpu(), plain.stream()).flat(0), r1[1].to(Device::cpu(), checked.main_stream()).flat(0));
  }
}

TEST(NumericsCheck, ReferenceExecutorNamesTheForwardOp) {
  Net n;
  graph::Executor ex(n.g, Device::cpu());
  ex.set_check_numerics(true);
  ex.run({{n.x, feed(1.0f)}}, {n.loss});
  const std::string m = message_of([&] { ex.run({{n.x, feed(-1.0f)}}, {n.loss}); });
  EXPECT_NE(m.find("check_numerics: step 1: op 'sqrt' node 'block/"), std::string::npos) << m;
  EXPECT_NE(m.find("(forward) produced a non-finite value (NaN or Inf) in output 0 f32[2, 3]"), std::string::npos)
      << m;
  EXPECT_NE(m.find("its inputs were finite"), std::string::npos) << m;
  // Without the check the same run passes silently with a NaN loss.
  ex.set_check_numerics(false);
  EXPECT_TRUE(std::isnan(ex.run({{n.x, feed(-1.0f)}}, {n.loss})[0].item()));
}

TEST(NumericsCheck, PlannedExecutorNamesTheBackwardOpWithAndWithoutReplay) {
  for (bool replay : {false, true}) {
    for (bool streams : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "replay " << replay << " streams " << streams);
      Net n;
      graph::PlannedExecutor ex(n.g, Device::cpu(), planned(replay, streams));
      ex.run({{n.x, feed(1.0f)}}, {n.loss, n.grad});
      ex.run({{n.x, feed(2.0f)}}, {n.loss, n.grad});
      // x = 0: sqrt(0) = 0 is finite; its gradient 0.5 / sqrt(0) is not.
      const std::string m = message_of([&] { ex.run({{n.x, feed(0.0f)}}, {n.loss, n.grad}); });
      EXPECT_NE(m.find("check_numerics: step 2: op '"), std::string::npos) << m;
      EXPECT_NE(m.find("(backward) produced a non-finite value"), std::string::npos) << m;
      EXPECT_NE(m.find("node 'grad/"), std::string::npos) << m;
      // A finite step after the failure passes again (the flag was reset).
      EXPECT_NO_THROW(ex.run({{n.x, feed(3.0f)}}, {n.loss, n.grad}));
    }
  }
}

TEST(NumericsCheck, NonFiniteLeafIsReportedAsAlreadyNonFinite) {
  Net n;
  graph::PlannedExecutor ex(n.g, Device::cpu(), planned(true, false));
  ex.run({{n.x, feed(1.0f)}}, {n.loss});
  Tensor x = feed(1.0f);
  x.set_flat(4, std::numeric_limits<double>::infinity());
  const std::string m = message_of([&] { ex.run({{n.x, x}}, {n.loss}); });
  EXPECT_NE(m.find("fed input 'x' f32[2, 3] was already non-finite (NaN or Inf) at the start of the step"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("input 1 of op 'mul'"), std::string::npos) << m;
}
