#include "cutrain/io/line_chart.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cutrain/core/error.h"

namespace cutrain::io {

std::array<uint8_t, 7> glyph(char c) {
  const unsigned char u = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
  switch (u) {
    case ' ': return {0, 0, 0, 0, 0, 0, 0};
    case '0': return {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E};
    case '1': return {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E};
    case '2': return {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F};
    case '3': return {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E};
    case '4': return {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02};
    case '5': return {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E};
    case '6': return {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E};
    case '7': return {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08};
    case '8': return {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E};
    case '9': return {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C};
    case '.': return {0, 0, 0, 0, 0, 0x0C, 0x0C};
    case ',': return {0, 0, 0, 0, 0x0C, 0x04, 0x08};
    case '-': return {0, 0, 0, 0x1F, 0, 0, 0};
    case '+': return {0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0};
    case ':': return {0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0};
    case '_': return {0, 0, 0, 0, 0, 0, 0x1F};
    case '/': return {0, 0x01, 0x02, 0x04, 0x08, 0x10, 0};
    case '(': return {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02};
    case ')': return {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08};
    case '%': return {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03};
    case '=': return {0, 0, 0x1F, 0, 0x1F, 0, 0};
    case 'a': return {0, 0, 0x0E, 0x01, 0x0F, 0x11, 0x0F};
    case 'b': return {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E};
    case 'c': return {0, 0, 0x0E, 0x10, 0x10, 0x11, 0x0E};
    case 'd': return {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F};
    case 'e': return {0, 0, 0x0E, 0x11, 0x1F, 0x10, 0x0E};
    case 'f': return {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08};
    case 'g': return {0, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E};
    case 'h': return {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11};
    case 'i': return {0x04, 0, 0x0C, 0x04, 0x04, 0x04, 0x0E};
    case 'j': return {0x02, 0, 0x06, 0x02, 0x02, 0x12, 0x0C};
    case 'k': return {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12};
    case 'l': return {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E};
    case 'm': return {0, 0, 0x1A, 0x15, 0x15, 0x11, 0x11};
    case 'n': return {0, 0, 0x16, 0x19, 0x11, 0x11, 0x11};
    case 'o': return {0, 0, 0x0E, 0x11, 0x11, 0x11, 0x0E};
    case 'p': return {0, 0, 0x1E, 0x11, 0x1E, 0x10, 0x10};
    case 'q': return {0, 0, 0x0D, 0x13, 0x0F, 0x01, 0x01};
    case 'r': return {0, 0, 0x16, 0x19, 0x10, 0x10, 0x10};
    case 's': return {0, 0, 0x0E, 0x10, 0x0E, 0x01, 0x1E};
    case 't': return {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06};
    case 'u': return {0, 0, 0x11, 0x11, 0x11, 0x13, 0x0D};
    case 'v': return {0, 0, 0x11, 0x11, 0x11, 0x0A, 0x04};
    case 'w': return {0, 0, 0x11, 0x11, 0x15, 0x15, 0x0A};
    case 'x': return {0, 0, 0x11, 0x0A, 0x04, 0x0A, 0x11};
    case 'y': return {0, 0, 0x11, 0x11, 0x0F, 0x01, 0x0E};
    case 'z': return {0, 0, 0x1F, 0x02, 0x04, 0x08, 0x1F};
    default: return {0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F};
  }
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::floor(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  if (ticks.front() > lo) ticks.insert(ticks.begin(), ticks.front() - step);
  if (ticks.back() < hi) ticks.push_back(ticks.back() + step);
  return ticks;
}

namespace {

constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kGrid{225, 225, 225};

class Canvas {
 public:
  Canvas(int w, int h) : im_{h, w, 3, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3, 255)} {}
  Image take() { return std::move(im_); }

  void dot(int x, int y, const Rgb& c) {
    if (x < 0 || y < 0 || x >= im_.width || y >= im_.height) return;
    uint8_t* p = &im_.pixels[(static_cast<size_t>(y) * im_.width + x) * 3];
    p[0] = c[0], p[1] = c[1], p[2] = c[2];
  }
  void rect(int x0, int y0, int x1, int y1, const Rgb& c) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) dot(x, y, c);
  }
  // Bresenham, `thick` pixels wide.
  void line(int x0, int y0, int x1, int y1, const Rgb& c, int thick = 1) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      rect(x0, y0, x0 + thick - 1, y0 + thick - 1, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  static int text_width(const std::string& s, int scale = 1) { return static_cast<int>(s.size()) * 6 * scale; }
  void text(int x, int y, const std::string& s, const Rgb& c, int scale = 1) {
    for (char ch : s) {
      const std::array<uint8_t, 7> g = glyph(ch);
      for (int r = 0; r < 7; ++r)
        for (int col = 0; col < 5; ++col)
          if (g[static_cast<size_t>(r)] & (0x10 >> col))
            rect(x + col * scale, y + r * scale, x + col * scale + scale - 1, y + r * scale + scale - 1, c);
      x += 6 * scale;
    }
  }

 private:
  Image im_;
};

std::string tick_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

void draw_chart(Canvas& cv, const Chart& chart, int x0, int w, int h) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const ChartSeries& s : chart.series) {
    CUTRAIN_CHECK(s.x.size() == s.y.size(), "chart '", chart.title, "': series '", s.name, "' has ", s.x.size(),
                  " x values and ", s.y.size(), " y values");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]), xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]), ymax = std::max(ymax, s.y[i]);
    }
  }
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  const std::vector<double> yt = nice_ticks(ymin, ymax, 5);
  std::vector<double> xt = nice_ticks(xmin, xmax, 6);
  bool integral_x = true;
  for (const ChartSeries& s : chart.series)
    for (double x : s.x) integral_x = integral_x && (!std::isfinite(x) || x == std::floor(x));
  if (integral_x && xt[1] - xt[0] < 1) {  // epochs: no fractional ticks
    xt.clear();
    const double pad = xmin == xmax ? 1 : 0;
    for (double t = xmin - pad; t <= xmax + pad; ++t) xt.push_back(t);
  }
  const double ylo = yt.front(), yhi = yt.back(), xlo = xt.front(), xhi = xt.back();
  const int left = x0 + 56, right = x0 + w - 14, top = 30, bottom = h - 34;
  auto px = [&](double x) { return left + static_cast<int>(std::lround((x - xlo) / (xhi - xlo) * (right - left))); };
  auto py = [&](double y) { return bottom - static_cast<int>(std::lround((y - ylo) / (yhi - ylo) * (bottom - top))); };

  for (double t : yt) {
    cv.line(left, py(t), right, py(t), kGrid);
    const std::string l = tick_label(t);
    cv.text(left - 6 - Canvas::text_width(l), py(t) - 3, l, kBlack);
  }
  for (double t : xt) {
    cv.line(px(t), top, px(t), bottom, kGrid);
    const std::string l = tick_label(t);
    cv.text(px(t) - Canvas::text_width(l) / 2, bottom + 6, l, kBlack);
  }
  cv.line(left, top, left, bottom, kBlack);
  cv.line(left, bottom, right, bottom, kBlack);
  cv.text(x0 + (w - Canvas::text_width(chart.title, 2)) / 2, 6, chart.title, kBlack, 2);
  cv.text((left + right - Canvas::text_width(chart.x_label)) / 2, bottom + 18, chart.x_label, kBlack);

  int legend_y = top + 6;
  for (const ChartSeries& s : chart.series) {
    bool have_last = false;
    int lx = 0, ly = 0;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const int x = px(s.x[i]), y = py(s.y[i]);
      if (have_last) cv.line(lx, ly, x, y, s.color, 2);
      cv.rect(x - 2, y - 2, x + 2, y + 2, s.color);
      lx = x, ly = y, have_last = true;
    }
    const int lw = Canvas::text_width(s.name);
    cv.line(right - lw - 28, legend_y + 3, right - lw - 10, legend_y + 3, s.color, 2);
    cv.text(right - lw - 4, legend_y, s.name, kBlack);
    legend_y += 12;
  }
}

}  // namespace

Image render_charts(const std::vector<Chart>& charts, int panel_width, int height) {
  CUTRAIN_CHECK(!charts.empty(), "render_charts: no charts");
  CUTRAIN_CHECK(panel_width >= 160 && height >= 120, "render_charts: panels of ", panel_width, "x", height,
                " pixels are too small (at least 160x120)");
  Canvas cv(panel_width * static_cast<int>(charts.size()), height);
  for (size_t i = 0; i < charts.size(); ++i) draw_chart(cv, charts[i], static_cast<int>(i) * panel_width, panel_width, height);
  return cv.take();
}

}  // namespace cutrain::io
