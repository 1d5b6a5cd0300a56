// BatchFeed hands out the planned batches in order, builds off-plan ones on
// the spot, and with an upload device copies each batch's images ahead on
// its copy stream (here a CPU stream, whose worker thread makes the
// ordering by events real) without changing a value.
#include "train/batch_feed.h"

#include <gtest/gtest.h>

#include <cstring>

#include "cutrain/data/dataset.h"

namespace cutrain::train {
namespace {

std::shared_ptr<const data::Dataset> dataset() {
  data::SyntheticOptions o;
  o.size = 40;
  o.height = o.width = 9;
  o.channels = 3;
  o.seed = 2;
  return std::make_shared<data::SyntheticDataset>(o);
}

std::vector<data::Batch> run(std::optional<Device> upload, const std::vector<std::vector<int64_t>>& plan,
                             const std::vector<std::vector<int64_t>>& asked) {
  BatchFeed f(dataset(), data::inception_train_transform(8), {.num_workers = 2, .prefetch = 2, .seed = 6}, upload);
  f.plan(1, plan);
  std::vector<data::Batch> out;
  for (const auto& idx : asked) out.push_back(f.take(1, idx));
  return out;
}

TEST(BatchFeed, PlannedOffPlanAndUploadedBatchesAreTheSame) {
  const std::vector<std::vector<int64_t>> plan{{3, 1, 4}, {1, 5}, {9, 2, 6, 5}, {3}};
  // Off plan after the second batch: {7, 8} was never announced; the rest
  // of the plan is then built on demand.
  const std::vector<std::vector<int64_t>> asked{{3, 1, 4}, {1, 5}, {7, 8}, {9, 2, 6, 5}, {3}};
  const std::vector<data::Batch> plain = run(std::nullopt, plan, asked);
  const std::vector<data::Batch> uploaded = run(Device::cpu(), plan, asked);
  const std::vector<data::Batch> unplanned = run(std::nullopt, {}, asked);
  ASSERT_EQ(plain.size(), asked.size());
  for (std::size_t i = 0; i < asked.size(); ++i) {
    EXPECT_EQ(plain[i].sample_indices, asked[i]);
    for (const auto* other : {&uploaded, &unplanned}) {
      const data::Batch& b = (*other)[i];
      ASSERT_EQ(b.images.shape(), plain[i].images.shape());
      EXPECT_EQ(std::memcmp(b.images.raw_data(), plain[i].images.raw_data(), b.images.nbytes()), 0) << i;
      EXPECT_EQ(std::memcmp(b.labels.raw_data(), plain[i].labels.raw_data(), b.labels.nbytes()), 0) << i;
    }
    // The uploaded images are a copy, not the loader's buffer.
    EXPECT_FALSE(uploaded[i].images.same_storage(plain[i].images));
  }
}

class FailsAtSeven final : public data::Dataset {
 public:
  int64_t size() const override { return 10; }
  data::Sample get(int64_t i) const override {
    if (i == 7) throw Error("/data/seven.jpg: not a JPEG file");
    return data::Sample{data::Image{2, 2, 1, {0, 1, 2, 3}}, 0};
  }
};

// With uploads one batch ahead, a failure building batch N+1 surfaces when
// N+1 is taken, not while N is.
TEST(BatchFeed, AnErrorAheadSurfacesWithItsOwnBatch) {
  for (std::optional<Device> upload : {std::optional<Device>{}, std::optional<Device>{Device::cpu()}}) {
    BatchFeed f(std::make_shared<FailsAtSeven>(), data::inception_eval_transform(2, 1, 1.0), {.num_workers = 2},
                upload);
    f.plan(0, {{1, 2}, {7}, {3}});
    EXPECT_EQ(f.take(0, std::vector<int64_t>{1, 2}).images.dim(0), 2);
    std::string msg;
    try {
      f.take(0, std::vector<int64_t>{7});
    } catch (const Error& e) {
      msg = e.what();
    }
    EXPECT_NE(msg.find("batch 1 of epoch 0, sample 7: /data/seven.jpg: not a JPEG file"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace cutrain::train
