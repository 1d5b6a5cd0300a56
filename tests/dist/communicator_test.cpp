// Communicator semantics, run on 2 and 3 ranks under mpiexec (ctest dist_np2,
// dist_np3) and as a world of one without it. Values are small integers, so
// every sum is exact in any reduction order and results compare bitwise.
#include "cutrain/dist/communicator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cutrain/core/error.h"

namespace cutrain::dist {
namespace {

std::shared_ptr<Communicator> make_world(const CommunicatorOptions& options = {}) {
  return launched_by_mpi() ? mpi_world(options) : make_local_communicator();
}

Communicator& world() {
  static std::shared_ptr<Communicator> w = make_world();
  return *w;
}

template <typename T>
class AllReduceTyped : public ::testing::Test {};
using ReducibleTypes = ::testing::Types<float, double, int32_t, int64_t>;
TYPED_TEST_SUITE(AllReduceTyped, ReducibleTypes);

TYPED_TEST(AllReduceTyped, SumOverRanksIsExact) {
  Communicator& w = world();
  const int n = w.world_size();
  std::vector<TypeParam> mine(1000);
  for (int i = 0; i < 1000; ++i) mine[i] = static_cast<TypeParam>(w.rank() * 1000 + i);
  Tensor t = Tensor::from_data<TypeParam>({10, 100}, mine);
  const Stream s = Stream::create(Device::cpu());
  w.all_reduce(t, ReduceOp::sum, s);
  s.synchronize();
  const TypeParam* p = t.data<TypeParam>();
  for (int i = 0; i < 1000; ++i) {
    const auto want = static_cast<TypeParam>(1000 * n * (n - 1) / 2 + n * i);
    ASSERT_EQ(p[i], want) << "element " << i << " on " << w.describe();
  }
}

TEST(AllReduce, AverageIsTheSumDividedByTheWorldSize) {
  Communicator& w = world();
  const int n = w.world_size();
  std::vector<float> mine(257);
  for (int i = 0; i < 257; ++i) mine[i] = static_cast<float>((w.rank() + 1) * (i % 7));
  Tensor t = Tensor::from_data<float>({257}, mine);
  w.all_reduce(t, ReduceOp::average, {});
  Stream::default_stream(Device::cpu()).synchronize();
  for (int i = 0; i < 257; ++i) {
    const float sum = static_cast<float>(n * (n + 1) / 2 * (i % 7));
    ASSERT_EQ(t.data<float>()[i], sum / static_cast<float>(n)) << "element " << i;
  }
}

TEST(AllReduce, MessagesSplitIntoPiecesGiveTheSameResult) {
  CommunicatorOptions options;
  options.max_chunk_elements = 7;  // 1001 elements: 143 pieces, the last one short
  auto w = make_world(options);
  std::vector<double> mine(1001);
  for (int i = 0; i < 1001; ++i) mine[i] = w->rank() + 2.0 * i;
  Tensor t = Tensor::from_data<double>({1001}, mine);
  const Stream s = Stream::create(Device::cpu());
  w->all_reduce(t, ReduceOp::sum, s);
  s.synchronize();
  const int n = w->world_size();
  for (int i = 0; i < 1001; ++i) {
    ASSERT_EQ(t.data<double>()[i], n * (n - 1) / 2.0 + n * 2.0 * i) << "element " << i;
  }
}

TEST(Broadcast, EveryRootReachesEveryRank) {
  Communicator& w = world();
  const Stream s = Stream::create(Device::cpu());
  for (int root = 0; root < w.world_size(); ++root) {
    Tensor f = Tensor::full({5, 3}, DType::f32, 100.0 * w.rank() + 1.5);
    // 16-bit floats are moved bit for bit even where they cannot be summed.
    Tensor h = Tensor::full({4}, DType::bf16, w.rank() + 0.25);
    Tensor b = Tensor::full({3}, DType::boolean, w.rank() == root ? 1.0 : 0.0);
    w.broadcast(f, root, s);
    w.broadcast(h, root, s);
    w.broadcast(b, root, s);
    s.synchronize();
    for (double v : f.to_vector()) ASSERT_EQ(v, 100.0 * root + 1.5) << "root " << root;
    for (double v : h.to_vector()) ASSERT_EQ(v, root + 0.25) << "root " << root;
    for (double v : b.to_vector()) ASSERT_EQ(v, 1.0) << "root " << root;
  }
}

TEST(AllGather, RankRLandsInRowR) {
  Communicator& w = world();
  const int n = w.world_size();
  Tensor in = Tensor::from_data<int64_t>({2, 3}, {0, 1, 2, 3, 4, 5});
  for (int64_t i = 0; i < 6; ++i) in.data<int64_t>()[i] += 10 * w.rank();
  Tensor out = Tensor::zeros({n, 2, 3}, DType::i64);
  const Stream s = Stream::create(Device::cpu());
  w.all_gather(in, out, s);
  s.synchronize();
  for (int r = 0; r < n; ++r) {
    for (int64_t i = 0; i < 6; ++i) {
      ASSERT_EQ(out.data<int64_t>()[r * 6 + i], 10 * r + i) << "row " << r << " element " << i;
    }
  }
}

// Each rank leaves a file before the barrier and, after it, finds everyone's.
TEST(Barrier, NoRankPassesBeforeEveryRankArrived) {
  Communicator& w = world();
  std::string dir;
  Tensor name = Tensor::zeros({256}, DType::u8);
  if (w.is_root()) {
    char tmpl[] = "/tmp/cutrain-barrier-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    std::copy(dir.begin(), dir.end(), name.data<uint8_t>());
  }
  const Stream s = Stream::create(Device::cpu());
  w.broadcast(name, 0, s);
  s.synchronize();
  dir = reinterpret_cast<const char*>(name.data<uint8_t>());
  for (int round = 0; round < 3; ++round) {
    const auto mine = std::filesystem::path(dir) / ("r" + std::to_string(round) + "-" +
                                                    std::to_string(w.rank()));
    if (w.rank() == w.world_size() - 1) usleep(100 * 1000);  // the last rank arrives late
    std::ofstream(mine) << "x";
    w.barrier(s);
    s.synchronize();
    for (int r = 0; r < w.world_size(); ++r) {
      const auto theirs = std::filesystem::path(dir) / ("r" + std::to_string(round) + "-" +
                                                        std::to_string(r));
      ASSERT_TRUE(std::filesystem::exists(theirs)) << theirs << " missing after the barrier";
    }
  }
  w.barrier(s);
  s.synchronize();
  if (w.is_root()) std::filesystem::remove_all(dir);
}

TEST(Layout, RanksOnOneMachineAreLocalRanks) {
  Communicator& w = world();
  EXPECT_EQ(w.local_rank(), w.rank());
  EXPECT_EQ(w.local_size(), w.world_size());
  const std::string d = w.describe();
  EXPECT_NE(d.find("rank " + std::to_string(w.rank()) + " of " + std::to_string(w.world_size())),
            std::string::npos)
      << d;
  EXPECT_EQ(w.backend(), launched_by_mpi() ? Backend::mpi : Backend::local);
}

// Misuse is caught on the calling thread, before anything is sent, so every
// rank throws the same error and none is left waiting.
TEST(Errors, MisuseNamesTheCollectiveAndTheTensor) {
  Communicator& w = world();
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Tensor i = Tensor::zeros({4}, DType::i32);
  EXPECT_NE(message([&] { w.all_reduce(i, ReduceOp::average, {}); })
                .find("averages need a floating dtype"),
            std::string::npos);
  Tensor out = Tensor::zeros({w.world_size() + 1, 4}, DType::i32);
  const std::string gather = message([&] { w.all_gather(i, out, {}); });
  EXPECT_NE(gather.find("all_gather: output [" + std::to_string(w.world_size() + 1) + ", 4]"),
            std::string::npos)
      << gather;
  EXPECT_NE(message([&] { w.broadcast(i, w.world_size(), {}); }).find("out of range"),
            std::string::npos);
  EXPECT_NE(message([&] { w.all_reduce(Tensor(), ReduceOp::sum, {}); }).find("undefined tensor"),
            std::string::npos);
  if (w.backend() == Backend::mpi) {
    Tensor h = Tensor::zeros({4}, DType::f16);
    EXPECT_NE(message([&] { w.all_reduce(h, ReduceOp::sum, {}); }).find("cast 16-bit floats"),
              std::string::npos);
  }
  w.barrier({});
}

TEST(Options, TimeoutFromTheEnvironmentIsValidated) {
  const char* old = std::getenv("CUTRAIN_DIST_TIMEOUT");
  const std::string saved = old ? old : "";
  setenv("CUTRAIN_DIST_TIMEOUT", "2.5", 1);
  EXPECT_EQ(CommunicatorOptions{}.resolved().timeout.count(), 2500);
  setenv("CUTRAIN_DIST_TIMEOUT", "soon", 1);
  EXPECT_THROW(CommunicatorOptions{}.resolved(), Error);
  setenv("CUTRAIN_DIST_TIMEOUT", "-1", 1);
  EXPECT_THROW(CommunicatorOptions{}.resolved(), Error);
  if (old) {
    setenv("CUTRAIN_DIST_TIMEOUT", saved.c_str(), 1);
  } else {
    unsetenv("CUTRAIN_DIST_TIMEOUT");
  }
}

}  // namespace
}  // namespace cutrain::dist
