// ModelCheckpoint (path formatting, best-only, per-batch saving), CSVLogger,
// Logs and the Python float repr they rely on.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>
#include <fstream>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/csv_logger.h"
#include "cutrain/train/callbacks/model_checkpoint.h"
#include "cutrain/train/format_path.h"
#include "fakes.h"

using namespace cutrain;
using namespace cutrain::train;
using namespace cutrain::train::testing;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("cutrain_train_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}
std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST(PythonRepr, MatchesPythonFloatRepr) {
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(-2.5), "-2.5");
  EXPECT_EQ(python_float_repr(123.456), "123.456");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(0.00001), "1e-05");
  EXPECT_EQ(python_float_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(std::nan("")), "nan");
}

TEST(Logs, KeepsInsertionOrderAndFormatsLikeKeras) {
  Logs l;
  l.set("loss", 0.41234);
  l.set("accuracy", 0.85104);
  l.set("loss", 0.5);  // keeps its place
  EXPECT_EQ(l.keys(), (std::vector<std::string>{"loss", "accuracy"}));
  EXPECT_EQ(l.sorted_keys(), (std::vector<std::string>{"accuracy", "loss"}));
  EXPECT_EQ(l.str(), "loss: 0.5000 - accuracy: 0.8510");
  EXPECT_EQ(format_metric_value(0.0001234), "1.2340e-04");
  EXPECT_EQ(format_metric_value(-0.5), "-0.5000");
  Logs v = L({{"loss", 2}});
  l.update(v, "val_");
  EXPECT_EQ(l.at("val_loss"), 2);
  EXPECT_THROW(l.at("nope"), Error);
  LogsAverager avg;
  avg.add(L({{"loss", 1.0}}), 3);
  avg.add(L({{"loss", 4.0}, {"acc", 1.0}}), 1);
  EXPECT_EQ(avg.average().at("loss"), (3 * 1.0 + 4.0) / 4);
  EXPECT_EQ(avg.average().at("acc"), 1.0);
}

TEST(FormatPath, KerasCheckpointPatterns) {
  std::map<std::string, FormatValue> v{{"epoch", int64_t{3}}, {"val_loss", 0.5678}, {"loss", 0.000123}};
  EXPECT_EQ(format_path("w.{epoch:02d}-{val_loss:.2f}", v), "w.03-0.57");
  EXPECT_EQ(format_path("w.{epoch}-{val_loss}.ckpt", v), "w.3-0.5678.ckpt");
  EXPECT_EQ(format_path("{epoch:>4}|{epoch:<3}|{epoch:^5}|{epoch:+d}", v), "   3|3  |  3  |+3");
  EXPECT_EQ(format_path("{loss:.1e}/{val_loss:.1%}/{val_loss:8.3f}", v), "1.2e-04/56.8%/   0.568");
  EXPECT_EQ(format_path("{{literal}}-{epoch:03}", v), "{literal}-003");
  EXPECT_EQ(format_path("{val_loss:g}", v), "0.5678");
  EXPECT_THROW(format_path("{val_acc:.2f}", v), Error);  // no such key
  EXPECT_THROW(format_path("{val_loss:02d}", v), Error);  // 'd' on a float, as Python
  EXPECT_THROW(format_path("{epoch", v), Error);
  EXPECT_THROW(format_path("{}", v), Error);
}

TEST(ModelCheckpoint, FormatsThePathWithOneBasedEpoch) {
  ModelCheckpoint cp({.filepath = "w.{epoch:02d}-{val_loss:.2f}"});
  EXPECT_EQ(cp.file_path(2, std::nullopt, L({{"val_loss", 0.5678}})), "w.03-0.57");
  FakeContext m;
  run_epochs(cp, m, {L({{"val_loss", 0.9}}), L({{"val_loss", 0.71}}), L({{"val_loss", 0.5678}})});
  ASSERT_EQ(m.saves.size(), 3u);
  EXPECT_EQ(m.saves[0].first, "w.01-0.90");
  EXPECT_EQ(m.saves[2].first, "w.03-0.57");
  EXPECT_FALSE(m.saves[0].second);
}

TEST(ModelCheckpoint, SaveBestOnlyMinAndMax) {
  FakeContext m;
  ModelCheckpoint cp({.filepath = "ck-{epoch}", .save_best_only = true, .save_weights_only = true});
  run_epochs(cp, m, {L({{"val_loss", 0.5}}), L({{"val_loss", 0.6}}), L({{"val_loss", 0.4}}), L({{"val_loss", 0.4}})});
  ASSERT_EQ(m.saves.size(), 2u);
  EXPECT_EQ(m.saves[0], (std::pair<std::string, bool>{"ck-1", true}));
  EXPECT_EQ(m.saves[1], (std::pair<std::string, bool>{"ck-3", true}));
  EXPECT_EQ(cp.best(), 0.4);

  FakeContext m2;
  ModelCheckpoint acc({.filepath = "a-{epoch}", .monitor = "val_accuracy", .save_best_only = true});
  run_epochs(acc, m2, {L({{"val_accuracy", 0.5}}), L({{"val_accuracy", 0.4}}), L({{"val_accuracy", 0.7}})});
  ASSERT_EQ(m2.saves.size(), 2u);
  EXPECT_EQ(m2.saves[1].first, "a-3");

  FakeContext m3;  // explicit min mode on an accuracy
  ModelCheckpoint mn({.filepath = "m-{epoch}", .monitor = "val_accuracy", .save_best_only = true, .mode = MonitorMode::min});
  run_epochs(mn, m3, {L({{"val_accuracy", 0.5}}), L({{"val_accuracy", 0.4}}), L({{"val_accuracy", 0.7}})});
  ASSERT_EQ(m3.saves.size(), 2u);
  EXPECT_EQ(m3.saves[1].first, "m-2");

  FakeContext m4;  // a threshold the first epochs do not beat
  ModelCheckpoint th({.filepath = "t-{epoch}", .save_best_only = true, .initial_value_threshold = 0.45});
  run_epochs(th, m4, {L({{"val_loss", 0.5}}), L({{"val_loss", 0.44}})});
  ASSERT_EQ(m4.saves.size(), 1u);
  EXPECT_EQ(m4.saves[0].first, "t-2");
}

TEST(ModelCheckpoint, MissingMonitorWarnsAndSaves) {
  FakeContext m;
  std::vector<std::string> warnings;
  ModelCheckpoint cp({.filepath = "x-{epoch}", .save_best_only = true});
  cp.set_warning_sink([&](const std::string& w) { warnings.push_back(w); });
  run_epochs(cp, m, {L({{"loss", 0.5}}), L({{"loss", 0.6}})});
  EXPECT_EQ(m.saves.size(), 2u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], "Can save best model only with val_loss available.");
}

TEST(ModelCheckpoint, SavesEveryNBatchesAcrossEpochs) {
  FakeContext m;
  ModelCheckpoint cp({.filepath = "m-{epoch}-{batch}", .save_freq = 2});
  cp.set_context(&m);
  Logs e;
  cp.on_train_begin(e);
  for (int epoch = 0; epoch < 2; ++epoch) {
    cp.on_epoch_begin(epoch, e);
    for (int b = 0; b < 3; ++b) {
      Logs l = L({{"loss", 1}});
      cp.on_train_batch_end(b, l);
    }
    Logs l = L({{"loss", 1}});
    cp.on_epoch_end(epoch, l);
  }
  std::vector<std::string> paths;
  for (auto& s : m.saves) paths.push_back(s.first);
  // Batches 2, 4 and 6 overall; the batch is 1-based within its epoch.
  EXPECT_EQ(paths, (std::vector<std::string>{"m-1-2", "m-2-1", "m-2-3"}));
}

TEST(ModelCheckpoint, CreatesParentFoldersAndVerboseMessages) {
  const fs::path dir = temp_dir("ckpt");
  FakeContext m;
  std::ostringstream out;
  ModelCheckpoint cp({.filepath = (dir / "a/b/w.{epoch:02d}").string(), .verbose = 1, .save_best_only = true}, &out);
  run_epochs(cp, m, {L({{"val_loss", 0.5}}), L({{"val_loss", 0.6}})});
  EXPECT_TRUE(fs::is_directory(dir / "a/b"));
  ASSERT_EQ(m.saves.size(), 1u);
  const std::string want = "\nEpoch 1: val_loss improved from None to 0.50000, saving model to " +
                           (dir / "a/b/w.01").string() + "\n\nEpoch 2: val_loss did not improve from 0.50000\n";
  EXPECT_EQ(out.str(), want);
  fs::remove_all(dir);
}

TEST(CSVLogger, HeaderSortedKeysZeroBasedEpochAndNA) {
  const fs::path dir = temp_dir("csv");
  const fs::path f = dir / "log.csv";
  FakeContext m;
  CSVLogger csv(f.string());
  run_epochs(csv, m, {L({{"loss", 0.5}, {"accuracy", 0.25}, {"val_loss", 0.75}, {"val_accuracy", 0.125}}),
                      L({{"loss", 0.1}, {"accuracy", 1.0}, {"val_loss", 1e-5}})});
  EXPECT_EQ(read(f),
            "epoch,accuracy,loss,val_accuracy,val_loss\n"
            "0,0.25,0.5,0.125,0.75\n"
            "1,1.0,0.1,NA,1e-05\n");
  fs::remove_all(dir);
}

TEST(CSVLogger, AddsValColumnsWhenNoneAtFirstEpochAndFlushesEachRow) {
  const fs::path dir = temp_dir("csv2");
  const fs::path f = dir / "log.csv";
  FakeContext m;
  CSVLogger csv(f.string(), ';');
  csv.set_context(&m);
  Logs e;
  csv.on_train_begin(e);
  Logs l0 = L({{"loss", 2.0}});
  csv.on_epoch_end(0, l0);
  EXPECT_EQ(read(f), "epoch;loss;val_loss\n0;2.0;NA\n");  // flushed before train end
  Logs l1 = L({{"loss", 1.5}, {"val_loss", 3.0}, {"new_key", 9.0}});
  csv.on_epoch_end(1, l1);
  csv.on_train_end(e);
  EXPECT_EQ(read(f), "epoch;loss;val_loss\n0;2.0;NA\n1;1.5;3.0\n");
  fs::remove_all(dir);
}

TEST(CSVLogger, AppendWritesTheHeaderOnlyForAnEmptyFile) {
  const fs::path dir = temp_dir("csv3");
  const fs::path f = dir / "log.csv";
  FakeContext m;
  {
    CSVLogger a(f.string(), ',', true);  // missing file: header
    run_epochs(a, m, {L({{"loss", 1.0}, {"val_loss", 2.0}})});
  }
  {
    CSVLogger b(f.string(), ',', true);  // existing file: no header
    run_epochs(b, m, {L({{"loss", 0.5}, {"val_loss", 1.5}}), L({{"loss", 0.25}, {"val_loss", 1.25}})});
  }
  EXPECT_EQ(read(f), "epoch,loss,val_loss\n0,1.0,2.0\n0,0.5,1.5\n1,0.25,1.25\n");
  {
    CSVLogger c(f.string());  // no append: truncate
    run_epochs(c, m, {L({{"loss", 3.0}, {"val_loss", 4.0}})});
  }
  EXPECT_EQ(read(f), "epoch,loss,val_loss\n0,3.0,4.0\n");
  std::ofstream(f, std::ios::trunc).close();  // empty existing file: header again
  {
    CSVLogger d(f.string(), ',', true);
    run_epochs(d, m, {L({{"loss", 3.0}, {"val_loss", 4.0}})});
  }
  EXPECT_EQ(read(f), "epoch,loss,val_loss\n0,3.0,4.0\n");
  fs::remove_all(dir);
}
