// HistoryPlot: the training curves of a run as a PNG — one panel per logged
// quantity (loss first, then the metrics), the training value and, when
// fit validates, the "val_" value against the 1-based epoch. Rewritten
// (atomically) at every epoch end, so an interrupted run still leaves the
// curves of its finished epochs. Learning-rate logs are not plotted.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cutrain/io/line_chart.h"
#include "cutrain/train/callback.h"

namespace cutrain::train {

class HistoryPlot : public Callback {
 public:
  explicit HistoryPlot(std::string path, int panel_width = 480, int height = 360);

  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;

  // The charts the next write would draw (for tests).
  std::vector<io::Chart> charts() const;

 private:
  std::string path_;
  int panel_width_, height_;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> series_;  // key -> (epochs, values)
};

}  // namespace cutrain::train
