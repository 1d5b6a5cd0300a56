// Data-parallel training equals one process on the global batch: N ranks
// with batch b each (gradients averaged in buckets, rank 0's weights
// broadcast) follow a single process with batch N*b step for step, up to
// rounding (float64 here, so to ~1e-15). Runs on 2 and 3 ranks under mpiexec
// (dist_np2, dist_np3) and as a world of one.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/dist/communicator.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/plan.h"
#include "cutrain/train/data_parallel.h"
#include "cutrain/train/gradient_sync.h"
#include "cutrain/train/model.h"
#include "cutrain/train/optimizer.h"
#include "cutrain/train/schedules.h"
#include "train/model_test_util.h"

namespace cutrain::train {
namespace {

std::shared_ptr<dist::Communicator> world() {
  static std::shared_ptr<dist::Communicator> w =
      dist::launched_by_mpi() ? dist::mpi_world() : dist::make_local_communicator();
  return w;
}

NetworkSpec spec(int64_t batch, uint64_t seed) {
  NetworkSpec s;
  s.batch_size = batch;
  s.height = s.width = 4;
  s.channels = 1;
  s.num_classes = 5;
  s.dtype = DType::f64;
  s.seed = seed;
  return s;
}

CompileOptions options(std::shared_ptr<dist::Communicator> comm, double bucket_bytes) {
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.2), 0.9);
  co.weight_decay = 0.01;
  co.dtype = DType::f64;
  co.communicator = std::move(comm);
  co.bucket_bytes = bucket_bytes;
  return co;
}

void expect_same_weights(Model& a, Model& b, double tol) {
  const auto wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) {
    const std::vector<double> x = wa[i].to_vector(), y = wb[i].to_vector();
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t j = 0; j < x.size(); ++j) {
      ASSERT_NEAR(x[j], y[j], tol * (1 + std::abs(y[j]))) << "tensor " << i << " element " << j;
    }
  }
}

TEST(ShardIndices, DistributedSamplerPadsAndInterleaves) {
  const std::vector<int64_t> order{10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
  EXPECT_EQ(shard_indices(order, 0, 3, true), (std::vector<int64_t>{10, 13, 16, 19}));
  EXPECT_EQ(shard_indices(order, 1, 3, true), (std::vector<int64_t>{11, 14, 17, 10}));
  EXPECT_EQ(shard_indices(order, 2, 3, true), (std::vector<int64_t>{12, 15, 18, 11}));
  EXPECT_EQ(shard_indices(order, 1, 3, false), (std::vector<int64_t>{11, 14, 17}));
  EXPECT_EQ(shard_indices({7, 8}, 3, 4, true), (std::vector<int64_t>{8}));
  EXPECT_EQ(shard_indices(order, 0, 1, true), order);
  EXPECT_THROW(shard_indices(order, 3, 3, true), Error);
}

TEST(GradientBuckets, ReverseParameterOrderUpToTheCap) {
  graph::Graph g;
  std::vector<graph::Value> v;
  for (int64_t n : {10, 300, 20, 20, 5}) {
    v.push_back(g.parameter("p" + std::to_string(v.size()), Tensor::zeros({n}, DType::f32)));
  }
  v.insert(v.begin() + 1, graph::Value{});  // an unreached parameter: no gradient
  // 4-byte elements, cap 100 bytes, from the last parameter: [5, 20] reach
  // 100 B, [20, 300] pass it, [10] is what is left.
  const auto buckets = gradient_buckets(v, 100);
  EXPECT_EQ(buckets, (std::vector<std::vector<int>>{{5, 4}, {3, 2}, {0}}));
}

// The planner puts the bucket all-reduces on a stream of their own, even
// when the compute runs on one stream (the CPU default).
TEST(GradientBuckets, ReductionsGetACommunicationStream) {
  auto comm = world();
  if (comm->world_size() == 1) GTEST_SKIP() << "a world of one inserts no reductions";
  graph::Graph g;
  std::vector<graph::Value> params;
  graph::Value loss;
  for (int i = 0; i < 3; ++i) {
    params.push_back(g.parameter("w" + std::to_string(i), Tensor::full({64}, DType::f32, 0.5)));
    const graph::Value term = graph::sum(graph::square(params.back()));
    loss = loss.defined() ? graph::add(loss, term) : term;
  }
  const std::vector<graph::Value> grads =
      average_gradients(g, graph::gradients(g, loss, params), comm, 256);  // one bucket each
  graph::PlanOptions po;
  po.streams = false;
  const graph::Plan plan = graph::make_plan(g, grads, po);
  EXPECT_EQ(plan.report.streams_used, 2);
  int on_comm = 0;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const bool is_reduce = g.node(plan.steps[i].node).op == "dist_all_reduce";
    EXPECT_EQ(plan.streams.stream[i] == 1, is_reduce) << g.node(plan.steps[i].node).name;
    on_comm += is_reduce;
  }
  EXPECT_EQ(on_comm, 3);
}

TEST(DataParallel, TrainOnBatchFollowsOneProcessOnTheGlobalBatch) {
  auto comm = world();
  const int n = comm->world_size(), r = comm->rank();
  constexpr int64_t b = 4;
  // Different seeds per rank: the broadcast must make rank 0's weights everyone's.
  Model dp(testing::linear_net, spec(b, 3 + r));
  dp.compile(options(comm, 200));  // W (640 B) and b (40 B) in separate, chained buckets
  Model one(testing::linear_net, spec(n * b, 3));
  one.compile(options(nullptr, kDefaultBucketBytes));
  for (int step = 0; step < 4; ++step) {
    Tensor x = Tensor::empty({n * b, 4, 4, 1}, DType::f64);
    x.uniform(-1, 1, 100 + step);
    std::vector<double> labels(static_cast<std::size_t>(n * b));
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<double>((i * 7 + step) % 5);
    const Tensor y = Tensor::from_vector({n * b}, labels, DType::i32);
    dp.train_on_batch(x.slice(0, r * b, (r + 1) * b).clone(), y.slice(0, r * b, (r + 1) * b).clone());
    one.train_on_batch(x, y);
  }
  expect_same_weights(dp, one, 1e-12);
}

TEST(DataParallel, FitOnShardsFollowsOneProcessAndLogsGlobalMetrics) {
  auto comm = world();
  const int n = comm->world_size();
  constexpr int64_t b = 4;
  // 60 samples: 45 to train (a multiple of neither 2*4 nor 3*4: the last
  // step is short and, on 2 ranks, padded), 15 to validate.
  auto data = testing::synthetic(60, 4, 5, 9);
  FitOptions fo;
  fo.epochs = 2;
  fo.verbose = 0;
  fo.validation_split = 0.25;
  fo.seed = 4;
  Model dp(testing::linear_net, spec(b, 3));
  dp.compile(options(comm, kDefaultBucketBytes));
  fo.batch_size = b;
  const History hd = dp.fit(resize_image_data(data, 4, 1, false), fo);
  ASSERT_EQ(hd["loss"].size(), 2u);
  ASSERT_EQ(hd["val_loss"].size(), 2u);

  // Every rank logged the same, global, numbers.
  Tensor mine = Tensor::from_vector({2}, {hd["loss"].back(), hd["val_accuracy"].back()}, DType::f64);
  Tensor all = Tensor::zeros({n, 2}, DType::f64);
  comm->all_gather(mine, all, {});
  Stream::default_stream(Device::cpu()).synchronize();
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(all.at({k, 0}), hd["loss"].back()) << "rank " << k;
    EXPECT_EQ(all.at({k, 1}), hd["val_accuracy"].back()) << "rank " << k;
  }
  // Without padding (45 samples on 3 ranks of 4: 15 each, a whole number of
  // global batches of 12 but for the last short one) the run is one
  // process's at batch n*b; padding repeats samples, so only compare then.
  if (45 % n == 0) {
    Model one(testing::linear_net, spec(n * b, 3));
    one.compile(options(nullptr, kDefaultBucketBytes));
    fo.batch_size = n * b;
    const History h1 = one.fit(resize_image_data(data, 4, 1, false), fo);
    expect_same_weights(dp, one, 1e-12);
    for (const char* key : {"loss", "val_loss", "val_accuracy"}) {
      for (std::size_t e = 0; e < 2; ++e) EXPECT_NEAR(hd[key][e], h1[key][e], 1e-12) << key << " epoch " << e;
    }
  }
}

}  // namespace
}  // namespace cutrain::train
