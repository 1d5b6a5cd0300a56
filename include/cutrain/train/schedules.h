// Learning-rate schedules: the rate as a function of (global step, epoch).
//
// `step` counts optimizer updates from 0 over the whole run; `epoch` is the
// 0-based epoch index. Each schedule reads one of them, chosen by its unit.
//   constant(lr)
//   exponential_decay: lr0 * rate^(x / every), x floored to a multiple of
//     `every` when staircase (TF ExponentialDecay). The Inception V3 recipe is
//     exponential_decay(0.045, 0.94, 2, epochs, staircase = true).
//   piecewise_constant: values[0] for x <= boundaries[0], values[i] for
//     boundaries[i-1] < x <= boundaries[i], values.back() after (TF semantics).
//   cosine_decay: min_lr + (lr0 - min_lr) * (1 + cos(pi * min(x, span) / span)) / 2.
//   linear_warmup: start_lr + (inner(0) - start_lr) * x / warmup for x < warmup,
//     then inner with its unit's coordinate shifted by `warmup`, so the wrapped
//     schedule starts from its beginning when warm-up ends.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace cutrain::train {

enum class ScheduleUnit { steps, epochs };

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(int64_t step, int64_t epoch) const = 0;
};

using SchedulePtr = std::shared_ptr<const LearningRateSchedule>;

SchedulePtr constant_schedule(double lr);
SchedulePtr exponential_decay(double initial_lr, double decay_rate, int64_t decay_every,
                              ScheduleUnit unit, bool staircase);
SchedulePtr piecewise_constant(std::vector<int64_t> boundaries, std::vector<double> values,
                               ScheduleUnit unit);
SchedulePtr cosine_decay(double initial_lr, int64_t decay_span, ScheduleUnit unit, double min_lr = 0);
SchedulePtr linear_warmup(SchedulePtr inner, int64_t warmup, ScheduleUnit unit, double start_lr = 0);

}  // namespace cutrain::train
