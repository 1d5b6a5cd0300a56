// Planned executor on small graphs: a diamond on two streams with the right
// event waits and memory sharing; in-place state updates ordered against
// their readers; report and Graphviz output.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "cutrain/cpu/kernel.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/planned_executor.h"
#include "plan_checker.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

// test_slow_copy: y = x after a delay, so a reader that does not wait for it
// sees stale memory. test_accumulate(s, x): s += x in place, y = the new s.
void register_test_ops() {
  ops::OpRegistry& r = ops::OpRegistry::global();
  if (r.has("test_slow_copy")) return;
  ops::OpSchema slow;
  slow.name = "test_slow_copy";
  slow.infer = [](const ops::Attrs&, const std::vector<ops::TensorSpec>& in) { return in; };
  slow.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const ops::OpContext&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
        std::memcpy(out[0].raw_data(), in[0].raw_data(), in[0].nbytes());
      });
  r.add(std::move(slow));

  ops::OpSchema acc;
  acc.name = "test_accumulate";
  acc.num_inputs = 2;
  acc.mutated_inputs = {0};
  acc.infer = [](const ops::Attrs&, const std::vector<ops::TensorSpec>& in) {
    CUTRAIN_CHECK(in[0] == in[1], "test_accumulate: specs differ");
    return std::vector<ops::TensorSpec>{in[0]};
  };
  acc.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const ops::OpContext&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        float* s = in[0].data<float>();
        const float* x = in[1].data<float>();
        float* y = out[0].data<float>();
        for (int64_t i = 0; i < in[0].numel(); ++i) y[i] = s[i] = s[i] + x[i];
      });
  r.add(std::move(acc));
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST(PlannedExecutor, DiamondRunsOnTwoStreamsWithTheRightWaits) {
  register_test_ops();
  Graph g;
  const Value x = g.input("x", {Shape({4, 8}), DType::f32});
  const Value a = graph::relu(x);
  const Value b = graph::tanh(a);
  const Value c = g.apply1("test_slow_copy", {a});  // the slow branch
  const Value d = graph::add(b, c);
  const Value e = graph::scale(d, 0.5);

  graph::PlannedExecutorOptions o;
  o.main_stream = make_cpu_stream({.threaded = true, .jitter_seed = 5});
  o.cpu_jitter_seed = 9;
  graph::PlannedExecutor ex(g, Device::cpu(), o);
  const graph::Plan& p = ex.plan({e});
  auto step = [&](Value v) { return p.step_of[static_cast<size_t>(v.node)]; };
  auto stream = [&](Value v) { return p.streams.stream[static_cast<size_t>(step(v))]; };
  auto waits = [&](Value v) { return p.streams.waits[static_cast<size_t>(step(v))]; };

  EXPECT_EQ(p.report.streams_used, 2);
  EXPECT_EQ(p.report.kernels_per_step, 5);
  EXPECT_EQ(p.report.critical_path_nodes, 4);  // a, (b | c), d, e
  EXPECT_EQ(stream(a), stream(b));  // b is a's first consumer: it continues a's stream
  EXPECT_NE(stream(b), stream(c));  // the second branch gets its own stream
  EXPECT_EQ(stream(d), stream(b));
  EXPECT_EQ(waits(c), std::vector<int>{step(a)});  // c's stream waits for a
  EXPECT_EQ(waits(d), std::vector<int>{step(c)});  // the join waits for c, not b (same stream)
  EXPECT_TRUE(waits(a).empty() && waits(b).empty() && waits(e).empty());
  EXPECT_EQ(p.streams.num_waits(), 2);
  EXPECT_FALSE(p.streams.happens_before(step(b), step(c)));
  EXPECT_FALSE(p.streams.happens_before(step(c), step(b)));
  EXPECT_TRUE(p.streams.happens_before(step(c), step(d)));

  // Memory: b and c run concurrently, so they get distinct bytes; d may take
  // a's bytes since both of a's readers finished before d starts. e is fetched.
  EXPECT_NE(p.value(step(b), 0).offset, p.value(step(c), 0).offset);
  EXPECT_EQ(p.value(step(d), 0).offset, p.value(step(a), 0).offset);
  EXPECT_EQ(p.value(step(e), 0).pool, -1);
  EXPECT_EQ(p.report.naive_bytes, 4u * 256);
  EXPECT_EQ(p.report.planned_bytes, 3u * 256);
  const plancheck::PlanCheck check = plancheck::check_plan(g, p);
  EXPECT_TRUE(check.ok()) << check.str();

  // Several steps with changing inputs: a missing wait would read stale bytes.
  graph::Executor ref(g, Device::cpu());
  for (int it = 0; it < 4; ++it) {
    Tensor xv = Tensor::empty({4, 8}, DType::f32);
    xv.uniform(-2, 2, 100 + static_cast<uint64_t>(it));
    const Tensor got = ex.run({{x, xv}}, {e}, graph::kTraining)[0];
    const Tensor want = ref.run({{x, xv}}, {e}, graph::kTraining)[0];
    ASSERT_EQ(std::memcmp(got.raw_data(), want.raw_data(), want.nbytes()), 0) << "step " << it;
  }

  const std::string dot = graph::plan_to_dot(g, p);
  EXPECT_NE(dot.find("digraph plan"), std::string::npos);
  EXPECT_NE(dot.find("color=red, penwidth=2"), std::string::npos);  // the event-wait edges
  EXPECT_NE(p.report.str().find("streams used: 2"), std::string::npos);
}

TEST(PlannedExecutor, StateMutationIsOrderedAgainstReaders) {
  register_test_ops();
  Graph g;
  const Value s = g.state("acc", Tensor::zeros({6}, DType::f32));
  const Value x = g.input("x", {Shape({6}), DType::f32});
  const Value before = g.apply1("test_slow_copy", {s});   // reads s before the update (slowly)
  const Value rx = graph::relu(x);                          // another stream
  const Value upd = g.apply1("test_accumulate", {s, rx}); // s += relu(x)
  const Value after = graph::scale(s, 1.0);                 // reads s after the update

  graph::PlannedExecutorOptions o;
  o.main_stream = make_cpu_stream({.threaded = true, .jitter_seed = 3});
  o.cpu_jitter_seed = 17;
  graph::PlannedExecutor ex(g, Device::cpu(), o);
  const std::vector<Value> fetches{before, upd, after};
  const graph::Plan& p = ex.plan(fetches);
  const auto st = [&](Value v) { return p.step_of[static_cast<size_t>(v.node)]; };
  EXPECT_TRUE(contains(p.steps[static_cast<size_t>(st(upd))].deps, st(before)));  // write after read
  EXPECT_TRUE(contains(p.steps[static_cast<size_t>(st(after))].deps, st(upd)));   // read after write
  EXPECT_GE(p.report.streams_used, 2);
  EXPECT_NE(p.streams.stream[static_cast<size_t>(st(upd))], p.streams.stream[static_cast<size_t>(st(before))]);
  const plancheck::PlanCheck check =
      plancheck::check_plan(g, p, {{before.node, upd.node}, {upd.node, after.node}});
  EXPECT_TRUE(check.ok()) << check.str();

  // Integer-valued inputs keep the sums exact: after k steps s = k * relu(x).
  const Tensor xv = Tensor::from_vector({6}, {1, -2, 3, 4, -5, 6});
  for (int k = 0; k < 5; ++k) {
    const std::vector<Tensor> out = ex.run({{x, xv}}, fetches, graph::kTraining);
    for (int64_t i = 0; i < 6; ++i) {
      const double r = std::max(0.0, xv.flat(i));
      ASSERT_EQ(out[0].flat(i), k * r) << "reader before the update, step " << k;
      ASSERT_EQ(out[1].flat(i), (k + 1) * r) << "update, step " << k;
      ASSERT_EQ(out[2].flat(i), (k + 1) * r) << "reader after the update, step " << k;
    }
  }
  EXPECT_EQ(ex.leaf(s).flat(2), 5 * 3.0);
}

TEST(PlannedExecutor, OneStreamAndNoMemoryPlanOptions) {
  Graph g;
  const Value x = g.input("x", {Shape({3, 5}), DType::f64});
  const Value y = graph::add(graph::tanh(x), graph::sigmoid(x));
  graph::PlannedExecutorOptions o;
  o.streams = false;
  o.memory_plan = false;
  graph::PlannedExecutor ex(g, Device::cpu(), o);
  const graph::Plan& p = ex.plan({y});
  EXPECT_EQ(p.report.streams_used, 1);
  EXPECT_EQ(p.report.event_waits, 0);
  EXPECT_EQ(p.report.planned_bytes, p.report.naive_bytes);
  Tensor xv = Tensor::empty({3, 5}, DType::f64);
  xv.normal(0, 1, 4);
  const Tensor got = ex.run({{x, xv}}, {y}, graph::kTraining)[0];
  for (int64_t i = 0; i < 15; ++i)
    EXPECT_DOUBLE_EQ(got.flat(i), std::tanh(xv.flat(i)) + 1 / (1 + std::exp(-xv.flat(i))));
}

TEST(PlannedExecutor, UnfedInputIsAnError) {
  Graph g;
  const Value x = g.input("x", {Shape({2}), DType::f32});
  const Value y = graph::relu(x);
  graph::PlannedExecutor ex(g, Device::cpu());
  EXPECT_THROW(ex.run(std::map<int, Tensor>{}, {y}, graph::kTraining), Error);
}
