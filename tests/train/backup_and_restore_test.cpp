// BackupAndRestore: a run killed at any batch and resumed from its backup
// ends bit for bit where an uninterrupted run ends (weights, optimizer
// state, step, the History of the epochs it ran), whatever the save
// frequency; the backup is deleted when training ends and kept when fit
// throws; a backup of another run is refused.
#include "cutrain/train/callbacks/backup_and_restore.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/callbacks/csv_logger.h"
#include "cutrain/train/fit_progress.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

namespace fs = std::filesystem;
using testing::synthetic;
using testing::temp_path;

struct Killed : std::runtime_error {
  Killed() : std::runtime_error("killed") {}
};

// Throws out of fit at the end of its `at`-th batch (1-based, counted
// across epochs), as a kill would stop the process there.
class KillAt : public Callback {
 public:
  explicit KillAt(int64_t at) : at_(at) {}
  void on_train_batch_end(int64_t, Logs&) override {
    if (++batches_ == at_) throw Killed();
  }

 private:
  int64_t at_;
  int64_t batches_ = 0;
};

NetworkSpec spec(int64_t batch) {
  NetworkSpec s;
  s.batch_size = batch;
  s.height = s.width = 12;
  s.channels = 1;
  s.num_classes = 3;
  s.seed = 4;
  return s;
}

std::unique_ptr<Model> make_model(int64_t batch = 16) {
  auto m = std::make_unique<Model>(nn::small_cnn_builder({{4, 8}, 0.9}), spec(batch));
  CompileOptions co;
  co.optimizer = adam(cosine_decay(0.02, 40, ScheduleUnit::steps));
  co.weight_decay = 1e-4;
  // accuracy is averaged by the loop, auc is a stateful metric with variables.
  co.metrics = {"accuracy", "auc"};
  m->compile(co);
  return m;
}

// 80 samples, 60 for training after the split: 3 full batches of 16 and a
// remainder of 12 per pass. steps_per_epoch 2 of a 4-batch pass makes
// passes straddle epochs, so a resume must rebuild a pass begun an epoch
// earlier. Random flips make the augmentation part of what must match.
FitOptions fit_options(int64_t steps_per_epoch) {
  FitOptions fo;
  fo.batch_size = 16;
  fo.epochs = 4;
  fo.verbose = 0;
  fo.validation_split = 0.25;
  fo.steps_per_epoch = steps_per_epoch;
  fo.seed = 9;
  return fo;
}

ImageData data() { return resize_image_data(synthetic(80, 12, 3, 31, 1.0f), 12, 1, /*flip=*/true); }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void expect_same_weights(const Model& a, const Model& b) {
  const WeightSnapshot wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) {
    ASSERT_EQ(wa[i].numel(), wb[i].numel());
    for (int64_t j = 0; j < wa[i].numel(); ++j)
      ASSERT_EQ(wa[i].flat(j), wb[i].flat(j)) << "weight " << i << " element " << j;
  }
}

// The resumed History holds the epochs it ran: the tail of the full one.
void expect_history_tail(const History& full, const History& resumed) {
  for (const auto& [key, values] : full.history()) {
    ASSERT_TRUE(resumed.contains(key)) << key;
    const auto& tail = resumed[key];
    ASSERT_GE(tail.size(), 1u) << key;
    ASSERT_LE(tail.size(), values.size()) << key;
    const size_t offset = values.size() - tail.size();
    for (size_t i = 0; i < tail.size(); ++i)
      EXPECT_EQ(tail[i], values[offset + i]) << key << " at epoch " << offset + i + 1;
  }
}

struct Case {
  int64_t steps_per_epoch;
  int64_t save_freq;  // 0: every epoch
  int64_t kill_at;    // batch, counted across epochs
};

class BackupAndRestoreResume : public ::testing::TestWithParam<Case> {};

TEST_P(BackupAndRestoreResume, KilledRunEndsAsAnUninterruptedOne) {
  const Case c = GetParam();
  const std::string dir = temp_path("backup_restore", "run_" + std::to_string(c.steps_per_epoch) + "_" +
                                                          std::to_string(c.save_freq) + "_" +
                                                          std::to_string(c.kill_at));
  fs::remove_all(dir);
  const BackupAndRestoreOptions bo{.backup_dir = dir, .save_freq = c.save_freq};

  // The CSV log of the killed and resumed runs (appending, after the backup
  // callback) ends as the uninterrupted run's: redone epochs' rows dropped.
  const std::string full_csv = dir + "_full.csv", csv = dir + ".csv";
  fs::remove(csv);
  auto full = make_model();
  const History h_full =
      full->fit(data(), fit_options(c.steps_per_epoch), {std::make_shared<CSVLogger>(full_csv)});

  auto killed = make_model();
  EXPECT_THROW(killed->fit(data(), fit_options(c.steps_per_epoch),
                           {std::make_shared<BackupAndRestore>(bo), std::make_shared<CSVLogger>(csv, ',', true),
                            std::make_shared<KillAt>(c.kill_at)}),
               Killed);
  const bool has_backup = fs::exists(fs::path(dir) / "state.json");
  // A backup exists once one was due before the kill.
  const int64_t steps = c.steps_per_epoch > 0 ? c.steps_per_epoch : 4;
  EXPECT_EQ(has_backup, c.save_freq > 0 ? c.kill_at >= c.save_freq : c.kill_at > steps);

  auto resumed = make_model();
  auto restore = std::make_shared<BackupAndRestore>(bo);
  const History h_resumed = resumed->fit(data(), fit_options(c.steps_per_epoch),
                                         {restore, std::make_shared<CSVLogger>(csv, ',', true)});
  EXPECT_EQ(read_text(csv), read_text(full_csv));
  EXPECT_EQ(restore->resumed(), has_backup);
  expect_history_tail(h_full, h_resumed);
  EXPECT_EQ(resumed->step(), full->step());
  EXPECT_EQ(resumed->epoch(), full->epoch());
  expect_same_weights(*full, *resumed);
  // The optimizer's slots too: one more identical step from each.
  FitOptions more = fit_options(c.steps_per_epoch);
  more.epochs = 5;
  more.initial_epoch = 4;
  full->fit(data(), more);
  resumed->fit(data(), more);
  expect_same_weights(*full, *resumed);
  EXPECT_FALSE(fs::exists(dir)) << "the backup is deleted when training ends";
}

INSTANTIATE_TEST_SUITE_P(
    Kills, BackupAndRestoreResume,
    ::testing::Values(Case{2, 1, 3},    // mid-epoch, in the pass begun the epoch before
                      Case{2, 1, 4},    // at an epoch's last batch
                      Case{2, 3, 8},    // two batches after the last backup: they are redone
                      Case{2, 3, 5},    // the backup's epoch was logged since: its row is redone
                      Case{2, 4, 2},    // before any backup: starts over
                      Case{0, 1, 7},    // full passes (4 batches, the last short)
                      Case{0, 0, 10},   // per epoch: back to epoch 3's start
                      Case{2, 0, 2}),   // per epoch, killed at the first's last batch: no backup
    [](const auto& info) {
      const Case& c = info.param;
      return "steps" + std::to_string(c.steps_per_epoch) + "_freq" + std::to_string(c.save_freq) + "_kill" +
             std::to_string(c.kill_at);
    });

TEST(BackupAndRestore, KeepsTheBackupWithDeleteCheckpointFalse) {
  const std::string dir = temp_path("backup_restore", "keep");
  fs::remove_all(dir);
  auto m = make_model();
  m->fit(data(), fit_options(2),
         {std::make_shared<BackupAndRestore>(BackupAndRestoreOptions{dir, 0, /*delete_checkpoint=*/false})});
  ASSERT_TRUE(fs::exists(fs::path(dir) / "state.json"));
  // Resuming a finished run trains no more.
  auto again = make_model();
  auto restore = std::make_shared<BackupAndRestore>(BackupAndRestoreOptions{dir, 0, false});
  const History h = again->fit(data(), fit_options(2), {restore});
  EXPECT_TRUE(restore->resumed());
  EXPECT_EQ(again->step(), m->step());
  expect_same_weights(*m, *again);
  EXPECT_TRUE(h.history().empty() || h["loss"].empty());
  fs::remove_all(dir);
}

TEST(BackupAndRestore, RefusesTheBackupOfAnotherRun) {
  const std::string dir = temp_path("backup_restore", "other_run");
  fs::remove_all(dir);
  const BackupAndRestoreOptions bo{.backup_dir = dir, .save_freq = 1};
  auto m = make_model();
  EXPECT_THROW(m->fit(data(), fit_options(2), {std::make_shared<BackupAndRestore>(bo), std::make_shared<KillAt>(2)}),
               Killed);
  FitOptions other = fit_options(2);
  other.seed = 10;
  auto n = make_model();
  try {
    n->fit(data(), other, {std::make_shared<BackupAndRestore>(bo)});
    FAIL() << "resumed another run's backup";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("seed"), std::string::npos) << what;
    EXPECT_NE(what.find("state.json"), std::string::npos) << what;
  }
  EXPECT_TRUE(fs::exists(fs::path(dir) / "state.json")) << "a refused backup is left alone";
  fs::remove_all(dir);
}

TEST(BackupAndRestore, RejectsADirectoryThatIsAFile) {
  const std::string file = temp_path("backup_restore", "a_file");
  std::ofstream(file) << "x";
  try {
    BackupAndRestore b({.backup_dir = file});
    FAIL() << "accepted a file as backup_dir";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
  EXPECT_THROW(BackupAndRestore({.backup_dir = ""}), Error);
  EXPECT_THROW(BackupAndRestore({.backup_dir = file + "_dir", .save_freq = -1}), Error);
}

TEST(BackupAndRestore, ADamagedStateNamesTheFile) {
  const std::string dir = temp_path("backup_restore", "damaged");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string state = (fs::path(dir) / "state.json").string();
  std::ofstream(state) << "{\"epoch\": 1,";
  auto m = make_model();
  try {
    m->fit(data(), fit_options(2), {std::make_shared<BackupAndRestore>(BackupAndRestoreOptions{dir, 1})});
    FAIL() << "resumed from a damaged state";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(state), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(FitProgress, JsonRoundTripIsExact) {
  FitProgress p;
  p.run = FitRun{.batch_size = 16, .steps_per_epoch = 3, .train_samples = 60, .world_size = 2,
                 .seed = std::numeric_limits<uint64_t>::max(), .shuffle = false};
  p.epoch = 2;
  p.step = 1;
  p.pass_epoch = 1;
  p.cursor = 4;
  p.seen = 16;
  p.averages = {{"loss", 0.1 + 0.2, 16}, {"accuracy", std::nan(""), 16},
                {"x", std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}};
  p.metrics = {{"auc", {1.0 / 3.0, 5e-324, 0}}};
  p.checkpoint = "backup-a.safetensors";
  const FitProgress q = parse_fit_progress(fit_progress_json(p), "test");
  EXPECT_EQ(q.run, p.run);
  EXPECT_EQ(q.epoch, 2);
  EXPECT_EQ(q.step, 1);
  EXPECT_EQ(q.pass_epoch, 1);
  EXPECT_EQ(q.cursor, 4);
  EXPECT_EQ(q.seen, 16);
  ASSERT_EQ(q.averages.size(), 3u);
  EXPECT_EQ(q.averages[0].key, "loss");
  EXPECT_EQ(q.averages[0].weighted, 0.1 + 0.2);
  EXPECT_TRUE(std::isnan(q.averages[1].weighted));
  EXPECT_EQ(q.averages[2].weighted, std::numeric_limits<double>::infinity());
  EXPECT_EQ(q.averages[2].weight, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(q.metrics, p.metrics);
  EXPECT_EQ(q.checkpoint, p.checkpoint);
  EXPECT_FALSE(q.resumed);
  EXPECT_THROW(parse_fit_progress("{}", "state.json"), Error);
  EXPECT_THROW(parse_fit_progress("[1]", "state.json"), Error);
}

}  // namespace
}  // namespace cutrain::train
