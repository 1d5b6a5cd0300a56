// The improvement test shared by ModelCheckpoint, EarlyStopping and
// ReduceLROnPlateau.
//
// min mode: cur < best - |min_delta|; max mode: cur > best + |min_delta|.
// auto mode picks by name, since we have no metric objects to ask for a
// direction: after dropping a "val_" prefix, names containing "acc" or
// starting with "auc", "precision", "recall", "fmeasure", "f1" or "top_k"
// are maximised, everything else (losses, errors) minimised.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cutrain::train {

enum class MonitorMode { automatic, min, max };

MonitorMode parse_monitor_mode(std::string_view name);  // "auto" | "min" | "max"
// min or max for `monitor` (automatic resolved by name).
MonitorMode resolve_monitor_mode(MonitorMode mode, std::string_view monitor);

class ImprovementTest {
 public:
  ImprovementTest(MonitorMode mode, std::string_view monitor, double min_delta = 0);
  // Always true when `reference` is empty (the first value is an improvement).
  bool is_improvement(double current, std::optional<double> reference) const;
  MonitorMode mode() const { return mode_; }  // min or max

 private:
  MonitorMode mode_;
  double min_delta_;  // |min_delta|
};

}  // namespace cutrain::train
