// Property test: on random DAGs of elementwise ops (fan-in, fan-out,
// broadcasting, reductions with sum_to), the planned executor on jittered
// CPU streams gives bitwise the reference Executor's results, and its plans
// pass the independent checker (ordering and memory overlap).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/planned_executor.h"
#include "plan_checker.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

struct RandomDag {
  std::unique_ptr<Graph> g;
  std::vector<std::pair<Value, Tensor>> feeds;
  std::vector<Value> fetches;
};

// A shape broadcastable to `full`: some dims set to 1, maybe leading dims dropped.
Shape sub_shape(const Shape& full, std::mt19937_64& rng, double p_one = 0.35) {
  std::vector<int64_t> d = full.dims();
  for (auto& x : d)
    if (std::uniform_real_distribution<double>(0, 1)(rng) < p_one) x = 1;
  const int drop = static_cast<int>(rng() % static_cast<uint64_t>(d.size()));
  if (rng() % 3 == 0) d.erase(d.begin(), d.begin() + drop);
  return Shape(d);
}

Tensor random_tensor(const Shape& s, DType dt, uint64_t seed) {
  Tensor t = Tensor::empty(s, dt);
  t.uniform(-1.5, 1.5, seed);
  return t;
}

RandomDag make_dag(uint64_t seed) {
  std::mt19937_64 rng(seed);
  RandomDag d;
  d.g = std::make_unique<Graph>(seed);
  Graph& g = *d.g;
  const DType dt = rng() % 3 == 0 ? DType::f64 : DType::f32;
  std::vector<int64_t> dims;
  const int rank = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < rank; ++i) dims.push_back(1 + static_cast<int64_t>(rng() % 6));
  const Shape full(dims);

  std::vector<Value> vals;
  const int n_inputs = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < n_inputs; ++i) {
    const Shape s = sub_shape(full, rng);
    Value v = g.input("x" + std::to_string(i), {s, dt});
    d.feeds.emplace_back(v, random_tensor(s, dt, rng()));
    vals.push_back(v);
  }
  const int n_params = static_cast<int>(rng() % 3);
  for (int i = 0; i < n_params; ++i)
    vals.push_back(g.parameter("w" + std::to_string(i), random_tensor(sub_shape(full, rng), dt, rng())));
  if (rng() % 2) vals.push_back(g.constant(random_tensor(sub_shape(full, rng), dt, rng()), "c"));
  const size_t n_leaves = vals.size();

  auto pick = [&]() -> Value {
    if (rng() % 2 && vals.size() > n_leaves) {
      const size_t recent = std::min<size_t>(4, vals.size() - n_leaves);
      return vals[vals.size() - 1 - rng() % recent];
    }
    return vals[rng() % vals.size()];
  };
  const int n_ops = 3 + static_cast<int>(rng() % 38);
  for (int k = 0; k < n_ops; ++k) {
    const int kind = static_cast<int>(rng() % 10);
    Value out;
    if (kind <= 3) {
      static const char* kUnary[] = {"relu", "tanh", "sigmoid", "square", "scale"};
      const char* op = kUnary[rng() % 5];
      ops::Attrs a;
      if (std::string(op) == "scale") a.set("alpha", std::uniform_real_distribution<double>(-1.2, 1.2)(rng));
      out = g.apply1(op, {pick()}, a);
    } else if (kind <= 6) {
      static const char* kBinary[] = {"add", "sub", "mul"};
      out = g.apply1(kBinary[rng() % 3], {pick(), pick()});
    } else if (kind == 7) {
      const Value first = pick();
      std::vector<Value> same{first};
      for (const Value& v : vals)
        if (v.spec() == first.spec() && same.size() < 4 && rng() % 2) same.push_back(v);
      if (rng() % 3 == 0) same.push_back(first);  // the same value twice
      out = g.apply1("add_n", same);
    } else {
      const Value x = pick();
      const Shape target = sub_shape(x.shape(), rng, 0.5);
      if (target == x.shape()) {
        out = g.apply1("neg", {x});
      } else {
        out = g.apply1("sum_to", {x}, {{"shape", target.dims()}});
      }
    }
    vals.push_back(out);
  }
  // Fetch the sinks, a few intermediates, sometimes a leaf.
  std::vector<int> used(static_cast<size_t>(g.size()), 0);
  for (const graph::Node& n : g.nodes())
    for (const Value& in : n.inputs) used[static_cast<size_t>(in.node)] = 1;
  for (size_t i = n_leaves; i < vals.size(); ++i) {
    if (!used[static_cast<size_t>(vals[i].node)] ? rng() % 5 != 0 : rng() % 8 == 0) d.fetches.push_back(vals[i]);
  }
  if (d.fetches.empty()) d.fetches.push_back(vals.back());
  if (rng() % 4 == 0) d.fetches.push_back(vals[rng() % n_leaves]);
  return d;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && a.is_contiguous() && b.is_contiguous() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

}  // namespace

TEST(PlannedExecutorProperty, RandomDagsMatchReferenceBitwise) {
  constexpr int kDags = 520;
  int multi_stream_plans = 0, shared_bytes_plans = 0;
  for (int di = 0; di < kDags; ++di) {
    RandomDag d = make_dag(1000 + static_cast<uint64_t>(di));
    graph::Executor ref(*d.g, Device::cpu());
    const std::vector<Tensor> expect = ref.run(d.feeds, d.fetches, graph::kTraining);

    struct Config {
      bool streams, memory;
      uint64_t jitter;
      int steps;
    };
    const uint64_t j = 7919 * static_cast<uint64_t>(di + 1);
    const Config configs[] = {{true, true, j, 2}, {true, true, j + 1, 1}, {true, true, j + 2, 1},
                              {true, false, j + 3, 1}, {false, true, j + 4, 1}};
    for (const Config& c : configs) {
      graph::PlannedExecutorOptions o;
      o.streams = c.streams;
      o.memory_plan = c.memory;
      o.cpu_jitter_seed = c.jitter;
      o.main_stream = make_cpu_stream({.threaded = true, .jitter_seed = c.jitter + 1000});
      graph::PlannedExecutor ex(*d.g, Device::cpu(), o);
      const graph::Plan& plan = ex.plan(d.fetches);
      const plancheck::PlanCheck check = plancheck::check_plan(*d.g, plan);
      ASSERT_TRUE(check.ok()) << "dag " << di << ":\n" << check.str() << graph::plan_to_dot(*d.g, plan);
      if (!c.streams) {
        ASSERT_EQ(plan.report.streams_used, 1);
      }
      if (!c.memory) {
        for (const graph::PlannedValue& v : plan.values) ASSERT_EQ(v.pool, -1);
      }
      if (c.streams && c.memory && c.steps == 2) {
        multi_stream_plans += plan.report.streams_used > 1;
        shared_bytes_plans += plan.report.planned_bytes < plan.report.naive_bytes;
      }
      for (int step = 0; step < c.steps; ++step) {
        const std::vector<Tensor> got = ex.run(d.feeds, d.fetches, graph::kTraining);
        ASSERT_EQ(got.size(), expect.size());
        for (size_t k = 0; k < got.size(); ++k)
          ASSERT_TRUE(bitwise_equal(got[k], expect[k]))
              << "dag " << di << " fetch " << k << " (" << d.fetches[k].str() << ") step " << step
              << " streams=" << c.streams << " memory=" << c.memory << " jitter=" << c.jitter << "\n"
              << graph::plan_to_dot(*d.g, plan);
      }
    }
  }
  // The generator must actually exercise concurrency and sharing.
  EXPECT_GT(multi_stream_plans, kDags / 2);
  EXPECT_GT(shared_bytes_plans, kDags / 4);
}

// The checker must be able to fail: corrupt a real plan in the two ways it guards against.
TEST(PlanChecker, CatchesOverlapOfConcurrentValuesAndMissingWaits) {
  Graph g;
  const Value x = g.input("x", {Shape({4, 8}), DType::f32});
  const Value a = graph::relu(x);
  const Value b = graph::tanh(a), c = graph::sigmoid(a);
  const Value e = graph::relu(graph::add(b, c));
  const graph::Plan plan = graph::make_plan(g, {e});
  ASSERT_TRUE(plancheck::check_plan(g, plan).ok()) << plancheck::check_plan(g, plan).str();

  graph::Plan overlap = plan;
  const int sb = plan.step_of[static_cast<size_t>(b.node)], sc = plan.step_of[static_cast<size_t>(c.node)];
  ASSERT_NE(plan.streams.stream[static_cast<size_t>(sb)], plan.streams.stream[static_cast<size_t>(sc)]);
  overlap.values[static_cast<size_t>(overlap.value_of_step[static_cast<size_t>(sc)])].offset =
      plan.value(sb, 0).offset;
  EXPECT_FALSE(plancheck::check_plan(g, overlap).ok());

  graph::Plan no_wait = plan;
  for (auto& w : no_wait.streams.waits) w.clear();
  EXPECT_FALSE(plancheck::check_plan(g, no_wait).ok());
}
