#include "cutrain/data/loader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <numeric>
#include <set>
#include <stdexcept>

#include "cutrain/data/shuffle.h"

#include "common/test_util.h"

namespace cutrain::data {
namespace {

using testing_util::error_of;

std::shared_ptr<const Dataset> small_dataset(int64_t n = 53) {
  SyntheticOptions o;
  o.size = n;
  o.height = 12;
  o.width = 10;
  o.channels = 1;
  o.num_classes = 4;
  o.seed = 3;
  return std::make_shared<SyntheticDataset>(o);
}

std::vector<Batch> run_epoch(Loader& l, int64_t epoch) {
  l.start_epoch(epoch);
  std::vector<Batch> out;
  while (auto b = l.next()) out.push_back(std::move(*b));
  return out;
}

bool same_batch(const Batch& a, const Batch& b) {
  return a.images.shape() == b.images.shape() && a.sample_indices == b.sample_indices &&
         std::memcmp(a.images.raw_data(), b.images.raw_data(), a.images.nbytes()) == 0 &&
         std::memcmp(a.labels.raw_data(), b.labels.raw_data(), a.labels.nbytes()) == 0;
}

TEST(Loader, SameSeedSameBatchesForAnyWorkerCount) {
  auto ds = small_dataset();
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    Loader l(ds, inception_train_transform(16),
             {.batch_size = 8, .num_workers = workers, .prefetch = 2, .seed = 42});
    std::vector<Batch> all = run_epoch(l, 0);
    const std::vector<Batch> e1 = run_epoch(l, 1);
    all.insert(all.end(), e1.begin(), e1.end());
    runs.push_back(std::move(all));
  }
  ASSERT_EQ(runs[0].size(), 2u * 7);
  for (std::size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (std::size_t i = 0; i < runs[0].size(); ++i) {
      EXPECT_TRUE(same_batch(runs[0][i], runs[r][i])) << "run " << r << " batch " << i;
      EXPECT_EQ(runs[r][i].index, runs[0][i].index);
    }
  }
  // Epochs differ in order and augmentation; another seed gives other batches.
  EXPECT_NE(runs[0][0].sample_indices, runs[0][7].sample_indices);
  Loader other(ds, inception_train_transform(16), {.batch_size = 8, .num_workers = 2, .seed = 43});
  EXPECT_FALSE(same_batch(run_epoch(other, 0)[0], runs[0][0]));
}

TEST(Loader, EverySampleOncePerEpochWithShapesAndLabels) {
  auto ds = small_dataset();
  Loader l(ds, inception_eval_transform(9, 3), {.batch_size = 8, .num_workers = 3, .seed = 1});
  EXPECT_EQ(l.batches_per_epoch(), 7);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    const std::vector<Batch> batches = run_epoch(l, epoch);
    ASSERT_EQ(batches.size(), 7u);
    std::multiset<int64_t> seen;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      const Batch& b = batches[i];
      const int64_t rows = i + 1 < batches.size() ? 8 : 53 - 6 * 8;
      EXPECT_EQ(b.images.shape(), (Shape{rows, 9, 9, 3}));
      EXPECT_EQ(b.labels.shape(), (Shape{rows}));
      EXPECT_EQ(b.epoch, epoch);
      EXPECT_EQ(b.index, static_cast<int64_t>(i));
      for (int64_t r = 0; r < rows; ++r) {
        seen.insert(b.sample_indices[r]);
        EXPECT_EQ(b.labels.data<int32_t>()[r], ds->get(b.sample_indices[r]).label);
      }
      for (int64_t k = 0; k < b.images.numel(); ++k) {
        const float v = b.images.data<float>()[k];
        ASSERT_TRUE(v >= -1.0f && v <= 1.0f) << v;
      }
    }
    ASSERT_EQ(seen.size(), 53u);
    for (int64_t i = 0; i < 53; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
  }
  // The shuffled order is a permutation that changes between epochs.
  EXPECT_NE(l.epoch_order(0), l.epoch_order(1));
}

TEST(Loader, DropLastAndNoShuffle) {
  auto ds = small_dataset();
  Loader l(ds, inception_eval_transform(4, 1, 1.0),
           {.batch_size = 10, .num_workers = 2, .shuffle = false, .drop_last = true});
  EXPECT_EQ(l.batches_per_epoch(), 5);
  const std::vector<Batch> batches = run_epoch(l, 0);
  ASSERT_EQ(batches.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    for (int r = 0; r < 10; ++r) EXPECT_EQ(batches[i].sample_indices[r], i * 10 + r);
  }
}

TEST(Loader, UsesTheAllocatorHookAndRestartsEpochs) {
  auto ds = small_dataset();
  std::atomic<int> calls{0};
  LoaderOptions o{.batch_size = 4, .num_workers = 2, .prefetch = 1, .seed = 5};
  o.allocate = [&](const Shape& s, DType t) {
    ++calls;
    return Tensor::empty(s, t);
  };
  Loader l(ds, inception_train_transform(8), o);
  l.start_epoch(0);
  const Batch first = *l.next();
  l.next();
  // Abandon epoch 0 part way; epoch 0 again gives the same first batch.
  const std::vector<Batch> again = run_epoch(l, 0);
  ASSERT_EQ(again.size(), 14u);
  EXPECT_TRUE(same_batch(first, again[0]));
  EXPECT_GE(calls.load(), 2 * 16);
  EXPECT_EQ(calls.load() % 2, 0);
}

class FailingDataset final : public Dataset {
 public:
  int64_t size() const override { return 10; }
  Sample get(int64_t i) const override {
    if (i == 7) throw Error("sample 7: corrupt file");
    return Sample{Image{2, 2, 1, {0, 1, 2, 3}}, 0};
  }
};

TEST(Loader, ErrorsFromWorkersReachTheConsumer) {
  Loader l(std::make_shared<FailingDataset>(), inception_eval_transform(2, 1, 1.0),
           {.batch_size = 5, .num_workers = 2, .shuffle = false});
  l.start_epoch(0);
  EXPECT_TRUE(l.next().has_value());
  const std::string msg = error_of([&] { l.next(); });
  EXPECT_NE(msg.find("sample 7: corrupt file"), std::string::npos) << msg;
  Loader unstarted(small_dataset(), inception_eval_transform(2), {});
  EXPECT_THROW(unstarted.next(), Error);
}

TEST(Loader, EpochOrderIsTheSharedShuffle) {
  auto ds = small_dataset();
  Loader l(ds, inception_eval_transform(4, 1), {.batch_size = 8, .num_workers = 1, .seed = 9});
  std::vector<int64_t> all(53);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(l.epoch_order(2), shuffled_order(all, 9, 2));
  EXPECT_NE(shuffled_order(all, 9, 2), all);
}

TEST(Loader, ExplicitBatchesInOrderForAnyWorkerCount) {
  auto ds = small_dataset();
  const std::vector<std::vector<int64_t>> plan{{5, 3, 40}, {0}, {52, 51, 1, 2, 3}, {7, 7}};
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    Loader l(ds, inception_train_transform(8), {.batch_size = 99, .num_workers = workers, .prefetch = 1, .seed = 4});
    l.start_batches(3, plan);
    std::vector<Batch> got;
    while (auto b = l.next()) got.push_back(std::move(*b));
    runs.push_back(std::move(got));
  }
  ASSERT_EQ(runs[0].size(), plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(runs[0][i].sample_indices, plan[i]);
    EXPECT_EQ(runs[0][i].epoch, 3);
    EXPECT_EQ(runs[0][i].images.dim(0), static_cast<int64_t>(plan[i].size()));
    for (std::size_t r = 1; r < runs.size(); ++r) EXPECT_TRUE(same_batch(runs[0][i], runs[r][i])) << r << " " << i;
  }
  // A row's augmentation depends on (seed, epoch, sample) only: sample 3 in
  // batch 0 and batch 2 is the same image.
  const std::size_t per = 8 * 8 * 3;
  EXPECT_EQ(std::memcmp(runs[0][0].images.data<float>() + per, runs[0][2].images.data<float>() + 4 * per,
                        per * sizeof(float)),
            0);
  Loader l(ds, inception_eval_transform(4, 1), {});
  const std::string msg = error_of([&] { l.start_batches(0, {{1, 2}, {53}}); });
  EXPECT_NE(msg.find("batch 1 asks for sample 53"), std::string::npos) << msg;
}

TEST(Loader, UserSourceThroughTheQueueAndItsErrorsNameTheBatch) {
  std::atomic<int> calls{0};
  BatchSource source = [&](int64_t epoch, int64_t index) {
    ++calls;
    if (epoch == 1 && index == 2) throw std::runtime_error("no such record");
    Batch b;
    b.images = Tensor::full({2, 1, 1, 1}, DType::f32, static_cast<double>(epoch * 100 + index));
    b.labels = Tensor::full({2}, DType::i32, static_cast<double>(index));
    return b;
  };
  Loader l(LoaderOptions{.num_workers = 2, .prefetch = 2});
  l.start_source(0, 4, source);
  for (int64_t i = 0; i < 4; ++i) {
    std::optional<Batch> b = l.next();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->index, i);
    EXPECT_EQ(b->images.flat(0), static_cast<double>(i));
  }
  EXPECT_FALSE(l.next().has_value());
  l.start_source(1, 4, source);
  EXPECT_EQ(l.next()->images.flat(0), 100.0);
  EXPECT_EQ(l.next()->images.flat(0), 101.0);
  const std::string msg = error_of([&] { l.next(); });
  EXPECT_NE(msg.find("batch source failed at batch 2 of epoch 1: no such record"), std::string::npos) << msg;
  EXPECT_GE(calls.load(), 7);
  Loader bad(LoaderOptions{.num_workers = 0});
  bad.start_source(0, 1, [](int64_t, int64_t) {
    Batch b;
    b.images = Tensor::empty({3, 1, 1, 1}, DType::f32);
    b.labels = Tensor::empty({2}, DType::i32);
    return b;
  });
  const std::string shape_msg = error_of([&] { bad.next(); });
  EXPECT_NE(shape_msg.find("has 3 images but labels of shape [2]"), std::string::npos) << shape_msg;
  Loader no_dataset(LoaderOptions{});
  EXPECT_THROW(no_dataset.start_epoch(0), Error);
}

TEST(Loader, ErrorsNameBatchEpochAndSample) {
  Loader l(std::make_shared<FailingDataset>(), inception_eval_transform(2, 1, 1.0),
           {.batch_size = 4, .num_workers = 3, .shuffle = false});
  l.start_epoch(2);
  EXPECT_TRUE(l.next().has_value());
  const std::string msg = error_of([&] { l.next(); });
  EXPECT_NE(msg.find("batch 1 of epoch 2, sample 7: sample 7: corrupt file"), std::string::npos) << msg;
  // The loader goes on: a restart delivers again, and destruction with
  // batches in flight does not hang (the test would time out).
  l.start_epoch(3);
  EXPECT_TRUE(l.next().has_value());
}

TEST(SyntheticDataset, IsDeterministicAndLearnable) {
  SyntheticOptions o;
  o.size = 200;
  o.height = 8;
  o.width = 8;
  o.channels = 3;
  o.num_classes = 5;
  o.seed = 11;
  const SyntheticDataset a(o), b(o);
  EXPECT_EQ(a.get(17).image.pixels, b.get(17).image.pixels);
  EXPECT_NE(a.get(17).image.pixels, a.get(18).image.pixels);
  // Nearest class mean (computed on the first half) classifies the second half.
  std::vector<std::vector<double>> mean(5, std::vector<double>(192, 0.0));
  std::vector<int> count(5, 0);
  for (int i = 0; i < 100; ++i) {
    const Sample s = a.get(i);
    ++count[s.label];
    for (int p = 0; p < 192; ++p) mean[s.label][p] += s.image.pixels[p];
  }
  for (int c = 0; c < 5; ++c) {
    ASSERT_GT(count[c], 0);
    for (double& v : mean[c]) v /= count[c];
  }
  int correct = 0;
  for (int i = 100; i < 200; ++i) {
    const Sample s = a.get(i);
    int best = 0;
    double best_d = 1e300;
    for (int c = 0; c < 5; ++c) {
      double d = 0;
      for (int p = 0; p < 192; ++p)
        d += (s.image.pixels[p] - mean[c][p]) * (s.image.pixels[p] - mean[c][p]);
      if (d < best_d) best_d = d, best = c;
    }
    correct += best == s.label;
  }
  EXPECT_GT(correct, 90);
}

}  // namespace
}  // namespace cutrain::data
