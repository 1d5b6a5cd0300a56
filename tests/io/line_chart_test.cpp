// The training-curve renderer: tick choice, glyphs, and that each series is
// drawn in its colour inside its own panel.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/core/error.h"
#include "cutrain/io/line_chart.h"

using namespace cutrain;

namespace {

int count_color(const io::Image& im, const io::Rgb& c, int x0, int x1) {
  int n = 0;
  for (int y = 0; y < im.height; ++y)
    for (int x = x0; x < x1; ++x) {
      const uint8_t* p = &im.pixels[(static_cast<size_t>(y) * im.width + x) * 3];
      n += p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
    }
  return n;
}

}  // namespace

TEST(LineChart, NiceTicksCoverTheRangeInSteps125) {
  for (auto [lo, hi] : {std::pair{0.12, 0.87}, {0.8617, 0.9231}, {-3.0, 250.0}, {2.5, 2.5}, {1e-5, 3e-4}}) {
    const std::vector<double> t = io::nice_ticks(lo, hi, 5);
    ASSERT_GE(t.size(), 3u) << lo << " " << hi;
    EXPECT_LE(t.front(), lo);
    EXPECT_GE(t.back(), hi);
    EXPECT_LE(t.size(), 12u);
    const double step = t[1] - t[0];
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    EXPECT_TRUE(std::fabs(mantissa - 1) < 1e-6 || std::fabs(mantissa - 2) < 1e-6 || std::fabs(mantissa - 5) < 1e-6)
        << "step " << step;
    for (size_t i = 1; i < t.size(); ++i) EXPECT_NEAR(t[i] - t[i - 1], step, step * 1e-6);
  }
  const std::vector<double> t = io::nice_ticks(0.12, 0.87, 5);
  EXPECT_DOUBLE_EQ(t.front(), 0.0);
  EXPECT_NEAR(t[1], 0.2, 1e-12);
}

TEST(LineChart, GlyphsAreFiveByTwoRowsAndCaseFolded) {
  EXPECT_EQ(io::glyph('A'), io::glyph('a'));
  EXPECT_NE(io::glyph('a'), io::glyph('b'));
  EXPECT_EQ(io::glyph(' '), (std::array<uint8_t, 7>{}));
  for (char c : std::string("0123456789abcdefghijklmnopqrstuvwxyz.-_:%()"))
    for (uint8_t row : io::glyph(c)) EXPECT_EQ(row & ~0x1F, 0) << c;
  EXPECT_EQ(io::glyph('#'), io::glyph('~'));  // unknown: the box
}

TEST(LineChart, EachSeriesIsDrawnInItsColourInItsPanel) {
  const io::Rgb red{200, 10, 10}, green{10, 160, 10}, blue{10, 10, 200};
  std::vector<io::Chart> charts = {
      {"loss", "epoch", {{"train", {1, 2, 3}, {0.9, 0.5, 0.4}, red}, {"validation", {1, 2, 3}, {0.8, 0.6, 0.5}, green}}},
      {"accuracy", "epoch", {{"train", {1, 2, 3}, {0.7, 0.85, 0.9}, blue}}},
  };
  const io::Image im = io::render_charts(charts, 300, 200);
  ASSERT_EQ(im.width, 600);
  ASSERT_EQ(im.height, 200);
  ASSERT_EQ(im.channels, 3);
  EXPECT_GT(count_color(im, red, 0, 300), 100);
  EXPECT_GT(count_color(im, green, 0, 300), 100);
  EXPECT_EQ(count_color(im, blue, 0, 300), 0);
  EXPECT_GT(count_color(im, blue, 300, 600), 100);
  EXPECT_EQ(count_color(im, red, 300, 600), 0);

  // A non-finite point is skipped, not drawn off the canvas.
  charts[1].series[0].y[1] = std::nan("");
  EXPECT_EQ(io::render_charts(charts, 300, 200).pixels.size(), im.pixels.size());
}

TEST(LineChart, MismatchedSeriesIsAnErrorNamingIt) {
  const std::vector<io::Chart> charts = {{"loss", "epoch", {{"val", {1, 2}, {0.5}, {0, 0, 0}}}}};
  try {
    io::render_charts(charts);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("chart 'loss': series 'val' has 2 x values and 1 y values"),
              std::string::npos)
        << e.what();
  }
}
