// Line charts rasterised to an RGB image, for the training-curve PNG a run
// leaves behind (train/callbacks/history_plot.h).
//
// Our own small renderer (lines, point markers, axes with "nice" ticks, a
// legend and a 5x7 bitmap font) rather than a plotting stack: the Debian
// options (PLplot with cairo and fontconfig, or driving gnuplot) add a
// run-time dependency and a font setup for two panels of a few lines.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cutrain/io/png.h"

namespace cutrain::io {

using Rgb = std::array<uint8_t, 3>;

struct ChartSeries {
  std::string name;
  std::vector<double> x, y;  // equal lengths; non-finite points are skipped
  Rgb color{31, 119, 180};
};

struct Chart {
  std::string title;
  std::string x_label;
  std::vector<ChartSeries> series;
};

// Charts side by side, each panel_width x height pixels, white background.
// Throws naming the chart and series when x and y lengths differ.
Image render_charts(const std::vector<Chart>& charts, int panel_width = 480, int height = 360);

// Tick values covering [lo, hi]: about `target` steps of 1, 2 or 5 x 10^k.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

// The 5x7 glyph of `c` (rows top to bottom, bit 4 = leftmost column);
// upper-case letters use the lower-case glyphs, unknown characters a box.
std::array<uint8_t, 7> glyph(char c);

}  // namespace cutrain::io
