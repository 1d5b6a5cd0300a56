#include "cutrain/train/schedules.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cutrain/core/error.h"

namespace cutrain::train {
namespace {

int64_t pick(ScheduleUnit unit, int64_t step, int64_t epoch) {
  return unit == ScheduleUnit::steps ? step : epoch;
}

class Constant final : public LearningRateSchedule {
 public:
  explicit Constant(double lr) : lr_(lr) {}
  double operator()(int64_t, int64_t) const override { return lr_; }

 private:
  double lr_;
};

class Exponential final : public LearningRateSchedule {
 public:
  Exponential(double lr0, double rate, int64_t every, ScheduleUnit unit, bool staircase)
      : lr0_(lr0), rate_(rate), every_(every), unit_(unit), staircase_(staircase) {}
  double operator()(int64_t step, int64_t epoch) const override {
    const int64_t x = pick(unit_, step, epoch);
    double p = static_cast<double>(x) / static_cast<double>(every_);
    if (staircase_) p = std::floor(p);
    return lr0_ * std::pow(rate_, p);
  }

 private:
  double lr0_, rate_;
  int64_t every_;
  ScheduleUnit unit_;
  bool staircase_;
};

class Piecewise final : public LearningRateSchedule {
 public:
  Piecewise(std::vector<int64_t> b, std::vector<double> v, ScheduleUnit unit)
      : b_(std::move(b)), v_(std::move(v)), unit_(unit) {}
  double operator()(int64_t step, int64_t epoch) const override {
    const int64_t x = pick(unit_, step, epoch);
    // First boundary not below x: values[i] covers (b[i-1], b[i]].
    const auto i = std::lower_bound(b_.begin(), b_.end(), x) - b_.begin();
    return v_[static_cast<std::size_t>(i)];
  }

 private:
  std::vector<int64_t> b_;
  std::vector<double> v_;
  ScheduleUnit unit_;
};

class Cosine final : public LearningRateSchedule {
 public:
  Cosine(double lr0, int64_t span, ScheduleUnit unit, double min_lr)
      : lr0_(lr0), span_(span), unit_(unit), min_lr_(min_lr) {}
  double operator()(int64_t step, int64_t epoch) const override {
    const double x = static_cast<double>(std::min(pick(unit_, step, epoch), span_));
    const double c = 0.5 * (1.0 + std::cos(std::numbers::pi * x / static_cast<double>(span_)));
    return min_lr_ + (lr0_ - min_lr_) * c;
  }

 private:
  double lr0_;
  int64_t span_;
  ScheduleUnit unit_;
  double min_lr_;
};

class Warmup final : public LearningRateSchedule {
 public:
  Warmup(SchedulePtr inner, int64_t warmup, ScheduleUnit unit, double start)
      : inner_(std::move(inner)), warmup_(warmup), unit_(unit), start_(start) {}
  double operator()(int64_t step, int64_t epoch) const override {
    const int64_t x = pick(unit_, step, epoch);
    if (x < warmup_) {
      const double target = (*inner_)(0, 0);
      return start_ + (target - start_) * static_cast<double>(x) / static_cast<double>(warmup_);
    }
    if (unit_ == ScheduleUnit::steps) return (*inner_)(step - warmup_, epoch);
    return (*inner_)(step, epoch - warmup_);
  }

 private:
  SchedulePtr inner_;
  int64_t warmup_;
  ScheduleUnit unit_;
  double start_;
};

}  // namespace

SchedulePtr constant_schedule(double lr) { return std::make_shared<Constant>(lr); }

SchedulePtr exponential_decay(double initial_lr, double decay_rate, int64_t decay_every,
                              ScheduleUnit unit, bool staircase) {
  CUTRAIN_CHECK(decay_every > 0, "exponential_decay: decay_every must be positive, got ", decay_every);
  CUTRAIN_CHECK(decay_rate > 0, "exponential_decay: decay_rate must be positive, got ", decay_rate);
  return std::make_shared<Exponential>(initial_lr, decay_rate, decay_every, unit, staircase);
}

SchedulePtr piecewise_constant(std::vector<int64_t> boundaries, std::vector<double> values,
                               ScheduleUnit unit) {
  CUTRAIN_CHECK(values.size() == boundaries.size() + 1, "piecewise_constant: need one more value (",
                values.size(), ") than boundaries (", boundaries.size(), ")");
  CUTRAIN_CHECK(std::is_sorted(boundaries.begin(), boundaries.end()),
                "piecewise_constant: boundaries must be ascending");
  return std::make_shared<Piecewise>(std::move(boundaries), std::move(values), unit);
}

SchedulePtr cosine_decay(double initial_lr, int64_t decay_span, ScheduleUnit unit, double min_lr) {
  CUTRAIN_CHECK(decay_span > 0, "cosine_decay: decay_span must be positive, got ", decay_span);
  return std::make_shared<Cosine>(initial_lr, decay_span, unit, min_lr);
}

SchedulePtr linear_warmup(SchedulePtr inner, int64_t warmup, ScheduleUnit unit, double start_lr) {
  CUTRAIN_CHECK(inner != nullptr, "linear_warmup: no schedule to wrap");
  CUTRAIN_CHECK(warmup > 0, "linear_warmup: warmup must be positive, got ", warmup);
  return std::make_shared<Warmup>(std::move(inner), warmup, unit, start_lr);
}

}  // namespace cutrain::train
