// Progbar: the Keras 3 progress bar, written to any std::ostream.
//
// verbose 1, during an epoch (carriage-return updates, at most one per
// `interval` seconds; a shorter line is padded with spaces to clear the last):
//   123/469 ━━━━━━━━━━━━━━━━━━━━ ETA 1:02 - 45ms/step - loss: 0.4123 - accuracy: 0.8510
// and when finalized, the elapsed time instead of the ETA and a newline:
//   469/469 ━━━━━━━━━━━━━━━━━━━━ 21s - 45ms/step - loss: 0.4123 - accuracy: 0.8510
// verbose 2 writes only the final line: "469/469 - 21s - 45ms/step - loss: ...".
// The bar is 20 '━'; as in Keras the done part differs only in colour, which
// is drawn with ANSI escapes when `ansi` is set (for terminals).
// Time per step ignores the first step once there are more (Keras' estimate);
// ETA is "Ns" up to 60 s, "M:SS" up to an hour, then "H:MM:SS". Values are
// shown as given (the fit loop passes running epoch averages).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "cutrain/train/logs.h"

namespace cutrain::train {

// Seconds from an arbitrary origin; injected so tests are deterministic.
using Clock = std::function<double()>;
Clock steady_clock_seconds();

struct ProgbarOptions {
  int64_t target = -1;  // total steps; -1 when unknown
  int width = 20;
  int verbose = 1;
  double interval = 0.05;
  std::string unit_name = "step";
  bool ansi = false;
};

class Progbar {
 public:
  Progbar(ProgbarOptions options, std::ostream& out, Clock clock);

  // `current` steps done (1-based). finalize defaults to current >= target.
  void update(int64_t current, const Logs& values, std::optional<bool> finalize = std::nullopt);
  int64_t target() const { return opt_.target; }
  void set_target(int64_t target) { opt_.target = target; }

  static std::string format_eta(double seconds);
  static std::string format_time_per_unit(double seconds, const std::string& unit);

 private:
  double estimate_step_duration(int64_t current, double now);

  ProgbarOptions opt_;
  std::ostream& out_;
  Clock clock_;
  Logs values_;
  double start_;
  double last_update_ = -1e300;  // the first update always shows
  std::optional<double> time_after_first_step_;
  std::size_t prev_total_width_ = 0;
};

}  // namespace cutrain::train
