#include "cutrain/train/callbacks/history_plot.h"

#include <algorithm>
#include <tuple>

namespace cutrain::train {

namespace {

bool plotted(const std::string& key) { return key != "lr" && key != "learning_rate"; }

constexpr io::Rgb kTrain{31, 119, 180};
constexpr io::Rgb kValidation{255, 127, 14};

}  // namespace

HistoryPlot::HistoryPlot(std::string path, int panel_width, int height)
    : path_(std::move(path)), panel_width_(panel_width), height_(height) {}

void HistoryPlot::on_train_begin(Logs&) { series_.clear(); }

void HistoryPlot::on_epoch_end(int64_t epoch, Logs& logs) {
  for (const auto& [key, value] : logs) {
    auto& [x, y] = series_[key];
    x.push_back(static_cast<double>(epoch + 1));
    y.push_back(value);
  }
  const std::vector<io::Chart> c = charts();
  if (!c.empty()) io::write_png(path_, io::render_charts(c, panel_width_, height_));
}

std::vector<io::Chart> HistoryPlot::charts() const {
  std::vector<std::string> bases;
  for (const auto& [key, s] : series_) {
    const std::string base = key.rfind("val_", 0) == 0 ? key.substr(4) : key;
    if (plotted(base) && std::find(bases.begin(), bases.end(), base) == bases.end()) bases.push_back(base);
  }
  std::stable_sort(bases.begin(), bases.end(), [](const std::string& a, const std::string& b) {
    return (a == "loss") > (b == "loss");
  });
  std::vector<io::Chart> charts;
  for (const std::string& base : bases) {
    io::Chart c{base, "epoch", {}};
    for (const auto& [key, name, color] :
         {std::tuple{base, "train", kTrain}, std::tuple{"val_" + base, "validation", kValidation}}) {
      const auto it = series_.find(key);
      if (it != series_.end()) c.series.push_back({name, it->second.first, it->second.second, color});
    }
    charts.push_back(std::move(c));
  }
  return charts;
}

}  // namespace cutrain::train
