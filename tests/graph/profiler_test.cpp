// Step profiler: every kernel of a profiled step is timed on its own stream,
// once per step, and the report ranks ops and nodes by time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "cutrain/cpu/kernel.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/graph/profiler.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

constexpr auto kNap = std::chrono::milliseconds(15);

// y = x after kNap: a kernel whose time has a known lower bound.
void register_nap_op() {
  ops::OpRegistry& r = ops::OpRegistry::global();
  if (r.has("test_profiler_nap")) return;
  ops::OpSchema s;
  s.name = "test_profiler_nap";
  s.infer = [](const ops::Attrs&, const std::vector<ops::TensorSpec>& in) { return in; };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const ops::OpContext&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        std::this_thread::sleep_for(kNap);
        std::memcpy(out[0].raw_data(), in[0].raw_data(), in[0].nbytes());
      });
  r.add(std::move(s));
}

}  // namespace

TEST(StepProfiler, TimesEveryKernelOnItsStreamOncePerStep) {
  register_nap_op();
  Graph g;
  const Value x = g.input("x", {Shape({4, 8}), DType::f32});
  const Value a = graph::relu(x);
  const Value b = graph::tanh(a);
  const Value c = g.apply1("test_profiler_nap", {a});  // its own stream: concurrent with b
  const Value d = graph::add(b, c);

  graph::PlannedExecutorOptions o;
  o.cpu_jitter_seed = 3;
  graph::PlannedExecutor ex(g, Device::cpu(), o);
  ASSERT_EQ(ex.plan({d}).report.streams_used, 2);
  Tensor xv = Tensor::empty({4, 8}, DType::f32);
  xv.uniform(-1, 1, 7);

  ex.run({{x, xv}}, {d}, graph::kTraining);  // unprofiled: planning and first allocations
  graph::StepProfiler prof;
  ex.set_profiler(&prof);
  constexpr int kSteps = 3;
  for (int i = 0; i < kSteps; ++i) ex.run({{x, xv}}, {d}, graph::kTraining);
  ex.set_profiler(nullptr);
  ex.run({{x, xv}}, {d}, graph::kTraining);  // detached: must not count

  EXPECT_EQ(prof.steps(), kSteps);
  const auto nodes = prof.nodes();
  ASSERT_EQ(nodes.size(), 4u);
  for (const auto& n : nodes) {
    EXPECT_EQ(n.calls, kSteps) << n.node;
    EXPECT_GT(n.seconds, 0.0) << n.node;
  }
  EXPECT_EQ(nodes[0].op, "test_profiler_nap");
  const double nap = std::chrono::duration<double>(kNap).count();
  EXPECT_GE(nodes[0].seconds, kSteps * nap);
  // The waits for the nap (d waits on its event) are not kernel time of d.
  for (size_t i = 1; i < nodes.size(); ++i) EXPECT_LT(nodes[i].seconds, nap) << nodes[i].node;

  const auto ops = prof.ops();
  ASSERT_EQ(ops.size(), 4u);
  double sum = 0;
  for (const auto& t : ops) sum += t.seconds;
  EXPECT_DOUBLE_EQ(sum, prof.total_seconds());

  std::ostringstream os;
  prof.print(os, 2);
  const std::string text = os.str();
  EXPECT_NE(text.find("over 3 profiled steps"), std::string::npos) << text;
  EXPECT_NE(text.find("test_profiler_nap"), std::string::npos) << text;
  EXPECT_NE(text.find("tanh"), std::string::npos) << text;

  prof.reset();
  EXPECT_EQ(prof.steps(), 0);
  EXPECT_TRUE(prof.nodes().empty());
}
