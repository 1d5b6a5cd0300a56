#include "cutrain/train/monitor.h"

#include <cmath>

#include "cutrain/core/error.h"

namespace cutrain::train {

MonitorMode parse_monitor_mode(std::string_view name) {
  if (name == "auto") return MonitorMode::automatic;
  if (name == "min") return MonitorMode::min;
  if (name == "max") return MonitorMode::max;
  CUTRAIN_THROW("unknown monitor mode '", name, "' (expected auto, min or max)");
}

MonitorMode resolve_monitor_mode(MonitorMode mode, std::string_view monitor) {
  if (mode != MonitorMode::automatic) return mode;
  std::string_view name = monitor;
  if (name.starts_with("val_")) name.remove_prefix(4);
  const bool maximise = name.find("acc") != std::string_view::npos || name.starts_with("auc") ||
                        name.starts_with("precision") || name.starts_with("recall") ||
                        name.starts_with("fmeasure") || name.starts_with("f1") ||
                        name.starts_with("top_k");
  return maximise ? MonitorMode::max : MonitorMode::min;
}

ImprovementTest::ImprovementTest(MonitorMode mode, std::string_view monitor, double min_delta)
    : mode_(resolve_monitor_mode(mode, monitor)), min_delta_(std::fabs(min_delta)) {}

bool ImprovementTest::is_improvement(double current, std::optional<double> reference) const {
  if (!reference) return true;
  return mode_ == MonitorMode::min ? current < *reference - min_delta_
                                   : current > *reference + min_delta_;
}

}  // namespace cutrain::train
