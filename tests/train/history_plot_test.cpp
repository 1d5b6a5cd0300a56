// HistoryPlot: a panel per logged quantity, loss first, train and val_ series
// over 1-based epochs, no learning-rate panel, a PNG rewritten every epoch.
#include <gtest/gtest.h>

#include <filesystem>

#include "cutrain/io/png.h"
#include "cutrain/train/callbacks/history_plot.h"

using namespace cutrain;

TEST(HistoryPlot, PanelsSeriesAndFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "cutrain_history_plot_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "curves.png").string();
  train::HistoryPlot plot(path, 320, 240);
  train::Logs none;
  plot.on_train_begin(none);
  for (int64_t e = 0; e < 3; ++e) {
    train::Logs logs{{"accuracy", 0.7 + 0.1 * static_cast<double>(e)}, {"loss", 1.0 / static_cast<double>(e + 1)},
                     {"lr", 0.01}};
    if (e > 0) logs.set("val_loss", 0.9 / static_cast<double>(e + 1));
    plot.on_epoch_end(e, logs);
    const io::Image im = io::read_png(path);
    EXPECT_EQ(im.width, 2 * 320);
    EXPECT_EQ(im.height, 240);
  }
  const std::vector<io::Chart> c = plot.charts();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].title, "loss");
  EXPECT_EQ(c[1].title, "accuracy");
  ASSERT_EQ(c[0].series.size(), 2u);
  EXPECT_EQ(c[0].series[0].name, "train");
  EXPECT_EQ(c[0].series[0].x, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(c[0].series[1].name, "validation");
  EXPECT_EQ(c[0].series[1].x, (std::vector<double>{2, 3}));
  EXPECT_DOUBLE_EQ(c[0].series[1].y[1], 0.3);
  ASSERT_EQ(c[1].series.size(), 1u);
  EXPECT_DOUBLE_EQ(c[1].series[0].y[2], 0.9);
  std::filesystem::remove_all(dir);
}
