// Graph replay (planned_executor.h): a small CNN training step (conv, batch
// norm, dropout, a second branch, dense, softmax cross entropy, Adam with a
// decaying learning rate, EMA with warm-up) recorded once and replayed gives
// bitwise the results of enqueuing every step, in f32 and f64, on one stream
// and on four jittered CPU streams; per-step values that were baked in would
// show (a changing learning rate, dropout's step, the EMA decay); a new fetch
// list or batch size records again; returned tensors survive later steps.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "common/replay_test_net.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/ops/batch_norm.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/dropout.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/pool.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/train/ema.h"
#include "cutrain/train/model.h"
#include "cutrain/train/optimizer.h"
#include "cutrain/train/schedules.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

constexpr int64_t kClasses = 3;

using testing_util::random_tensor;

// The step graph: two conv branches (one with batch norm and dropout) added,
// pooled, dense logits, mean cross entropy; Adam updates and EMA averages.
struct Net {
  std::unique_ptr<Graph> g;
  Value x, labels, loss;
  std::vector<Value> params, states;
  train::OptimizerGraph opt;
  train::EmaGraph ema;
  std::vector<Value> train_fetches;
};

Net build_net(DType dt, int64_t batch) {
  Net n;
  n.g = std::make_unique<Graph>(11);
  Graph& g = *n.g;
  n.x = g.input("images", {Shape{batch, 6, 6, 2}, dt});
  n.labels = g.input("labels", {Shape{batch}, DType::i32});
  const Value w1 = g.parameter("conv1/weights", random_tensor({4, 3, 3, 2}, dt, 0.4, 1));
  const Value w2 = g.parameter("conv2/weights", random_tensor({4, 1, 1, 2}, dt, 0.4, 2));
  const Value beta = g.parameter("bn/beta", Tensor::zeros({4}, dt));
  const Value gamma = g.parameter("bn/gamma", Tensor::full({4}, dt, 1.0));
  const Value mean = g.state("bn/moving_mean", Tensor::zeros({4}, dt));
  const Value var = g.state("bn/moving_variance", Tensor::full({4}, dt, 1.0));
  const Value wd = g.parameter("logits/weights", random_tensor({kClasses, 4}, dt, 0.5, 3));
  const Value bd = g.parameter("logits/biases", Tensor::zeros({kClasses}, dt));
  Value a = graph::relu(graph::batch_norm(graph::conv2d(n.x, w1), beta, gamma, mean, var, {0.001, 0.9}));
  a = graph::dropout(a, 0.3);
  const Value b = graph::tanh(graph::conv2d(n.x, w2));
  const Value logits = graph::dense(graph::global_avg_pool(graph::add(a, b)), wd, bd);
  n.loss = graph::weighted_loss_reduce(graph::softmax_cross_entropy(logits, n.labels));
  n.params = {w1, w2, beta, gamma, wd, bd};
  n.states = {mean, var};
  const std::vector<Value> grads = graph::gradients(g, n.loss, n.params);
  const auto lr = train::exponential_decay(0.05, 0.5, 2, train::ScheduleUnit::steps, false);
  n.opt = train::build_optimizer(g, train::adam(lr), n.params, grads);
  n.ema = train::build_ema(g, n.params, 0.9);
  n.train_fetches = {n.loss};
  for (const Value& t : n.opt.tokens) n.train_fetches.push_back(t);
  for (const Value& t : n.ema.tokens) n.train_fetches.push_back(t);
  return n;
}

struct RunConfig {
  DType dtype = DType::f32;
  bool replay = true;
  bool streams = false;  // four jittered CPU streams
  int steps = 5;
  std::function<double(int)> lr;  // default: the schedule
};

struct Result {
  std::vector<double> train_losses, eval_losses;
  std::vector<std::vector<double>> state;  // parameters, BN statistics, Adam slots, EMA shadows
  int captures = 0;
};

Result run(const RunConfig& c) {
  Net n = build_net(c.dtype, 8);
  graph::PlannedExecutorOptions o;
  o.graph_replay = c.replay;
  o.streams = c.streams;
  o.max_streams = 4;
  if (c.streams) {
    o.main_stream = make_cpu_stream({.threaded = true, .jitter_seed = 3});
    o.cpu_jitter_seed = 17;
  }
  graph::PlannedExecutor ex(*n.g, Device::cpu(), o);
  const auto schedule = train::exponential_decay(0.05, 0.5, 2, train::ScheduleUnit::steps, false);
  Result r;
  for (int step = 0; step < c.steps; ++step) {
    const Tensor images = random_tensor({8, 6, 6, 2}, c.dtype, 1.0, 100 + static_cast<uint64_t>(step));
    std::vector<double> lv;
    for (int i = 0; i < 8; ++i) lv.push_back((i * 7 + step) % kClasses);
    const Tensor labels = Tensor::from_vector({8}, lv, DType::i32);
    const double lr = c.lr ? c.lr(step) : (*schedule)(step, 0);
    train::set_step_scalars(ex, n.opt, lr, step + 1);
    train::set_ema_decay(ex, n.ema, train::ema_decay_at(0.9, true, step + 1));
    ex.set_steps(static_cast<uint64_t>(step));
    const std::vector<Tensor> out = ex.run({{n.x, images}, {n.labels, labels}}, n.train_fetches, {.training = true});
    r.train_losses.push_back(out[0].item());
    // An evaluation pass between steps: the same plan's other recording.
    r.eval_losses.push_back(ex.run({{n.x, images}, {n.labels, labels}}, {n.loss}, {.training = false})[0].item());
  }
  std::vector<Value> all = n.params;
  for (const auto* vs : {&n.states, &n.opt.slots, &n.ema.shadows}) all.insert(all.end(), vs->begin(), vs->end());
  for (const Value& v : all) r.state.push_back(ex.leaf(v).to_vector());
  r.captures = ex.captures();
  return r;
}

void expect_bitwise_equal(const Result& a, const Result& b) {
  EXPECT_EQ(a.train_losses, b.train_losses);
  EXPECT_EQ(a.eval_losses, b.eval_losses);
  ASSERT_EQ(a.state.size(), b.state.size());
  for (size_t i = 0; i < a.state.size(); ++i) EXPECT_EQ(a.state[i], b.state[i]) << "state tensor " << i;
}

}  // namespace

TEST(GraphReplay, TrainingStepsMatchEnqueuedStepsBitwise) {
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Result plain = run({.dtype = dt, .replay = false});
    const Result replayed = run({.dtype = dt, .replay = true});
    expect_bitwise_equal(plain, replayed);
    EXPECT_EQ(plain.captures, 0);
    EXPECT_EQ(replayed.captures, 2);  // one per RunOptions::training value, replayed afterwards
    // The steps did train (the comparison is not between two frozen runs).
    EXPECT_NE(plain.train_losses.front(), plain.train_losses.back());
  }
}

TEST(GraphReplay, FourJitteredStreamsMatchBitwise) {
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Result plain = run({.dtype = dt, .replay = false});
    const Result replayed = run({.dtype = dt, .replay = true, .streams = true});
    expect_bitwise_equal(plain, replayed);
  }
}

// Were the learning rate, Adam's step, the EMA decay or dropout's step fixed
// when the step was recorded, the replayed run would follow the values of the
// first step and differ from the enqueued one.
TEST(GraphReplay, PerStepValuesAreReadWhenTheStepRuns) {
  const auto jumpy = [](int step) { return std::vector<double>{0.02, 0.0, 0.08, 0.001, 0.0, 0.05}[step]; };
  const Result plain = run({.dtype = DType::f64, .replay = false, .steps = 6, .lr = jumpy});
  const Result replayed = run({.dtype = DType::f64, .replay = true, .steps = 6, .lr = jumpy});
  expect_bitwise_equal(plain, replayed);
  // The learning rate matters: a constant one gives other weights.
  const Result constant = run({.dtype = DType::f64, .replay = true, .steps = 6, .lr = [](int) { return 0.02; }});
  EXPECT_NE(constant.state[0], replayed.state[0]);
}

TEST(GraphReplay, ReturnedTensorsAreCopiesAndNewFetchesRecordAgain) {
  Net n = build_net(DType::f64, 8);
  graph::PlannedExecutor ex(*n.g, Device::cpu());
  const Tensor images = random_tensor({8, 6, 6, 2}, DType::f64, 1.0, 5);
  const Tensor labels = Tensor::from_vector({8}, {0, 1, 2, 0, 1, 2, 0, 1}, DType::i32);
  train::set_step_scalars(ex, n.opt, 0.05, 1);
  train::set_ema_decay(ex, n.ema, 0.5);
  const std::vector<Tensor> first = ex.run({{n.x, images}, {n.labels, labels}}, n.train_fetches, graph::kTraining);
  const double first_loss = first[0].item();
  EXPECT_EQ(ex.captures(), 1);
  train::set_step_scalars(ex, n.opt, 0.05, 2);
  const std::vector<Tensor> second = ex.run({{n.x, images}, {n.labels, labels}}, n.train_fetches, graph::kTraining);
  EXPECT_EQ(ex.captures(), 1);
  EXPECT_NE(second[0].item(), first_loss);  // the weights moved
  EXPECT_EQ(first[0].item(), first_loss);   // and the first step's tensor is still its own
  EXPECT_FALSE(first[0].same_storage(second[0]));

  // Another fetch list is another plan, recorded on first use only.
  ex.run({{n.x, images}, {n.labels, labels}}, {n.loss}, graph::kTraining);
  ex.run({{n.x, images}, {n.labels, labels}}, {n.loss}, graph::kTraining);
  EXPECT_EQ(ex.captures(), 2);
  // Changing a node records again, and the change takes effect.
  const double before = ex.run({{n.x, images}, {n.labels, labels}}, {n.loss}, {.training = false})[0].item();
  EXPECT_EQ(ex.captures(), 3);
  for (const graph::Node& node : n.g->nodes())
    if (node.op == "batch_norm") n.g->mutable_node(node.id).attrs.set("epsilon", 0.5);
  const double after = ex.run({{n.x, images}, {n.labels, labels}}, {n.loss}, {.training = false})[0].item();
  EXPECT_EQ(ex.captures(), 4);
  EXPECT_NE(before, after);
}

// Model: a new batch size is a new graph and executor; replay on and off
// train bitwise alike through changes of batch size.
TEST(GraphReplay, ModelWithChangingBatchSizesMatchesBitwise) {
  auto builder = [](Graph& g, const train::NetworkSpec& s) { return testing_util::bn_dropout_cnn(g, s, 4); };
  auto train_run = [&](bool replay) {
    train::NetworkSpec spec;
    spec.batch_size = 8;
    spec.height = spec.width = 5;
    spec.channels = 1;
    spec.num_classes = 3;
    train::Model m(builder, spec);
    train::CompileOptions co;
    co.optimizer = train::adam(train::exponential_decay(0.03, 0.7, 1, train::ScheduleUnit::steps, false));
    co.ema_decay = 0.95;
    co.dtype = DType::f64;
    co.graph_replay = replay;
    m.compile(co);
    std::vector<double> losses;
    int k = 0;
    for (int64_t b : {8, 8, 5, 8, 5, 5}) {
      const Tensor x = random_tensor({b, 5, 5, 1}, DType::f64, 1.0, 40 + static_cast<uint64_t>(k));
      std::vector<double> lv;
      for (int64_t i = 0; i < b; ++i) lv.push_back(static_cast<double>((i + k) % 3));
      losses.push_back(m.train_on_batch(x, Tensor::from_vector({b}, lv, DType::i32)).at("loss"));
      ++k;
    }
    std::vector<std::vector<double>> w;
    for (const Tensor& t : m.get_weights()) w.push_back(t.to_vector());
    for (const Tensor& t : m.averaged_weights()) w.push_back(t.to_vector());
    return std::make_pair(losses, w);
  };
  const auto plain = train_run(false);
  const auto replayed = train_run(true);
  EXPECT_EQ(plain.first, replayed.first);
  EXPECT_EQ(plain.second, replayed.second);
}
