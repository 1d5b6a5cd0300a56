#include "cutrain/train/callbacks/step_profile.h"

#include <ostream>

#include "cutrain/core/error.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

StepProfile::StepProfile(Model& model, int64_t steps, std::ostream* out, int64_t first, int top_nodes)
    : model_(model), steps_(steps), first_(first), out_(out), top_nodes_(top_nodes) {
  CUTRAIN_CHECK(steps > 0 && first >= 0, "StepProfile: steps must be positive and first non-negative (got ",
                steps, ", ", first, ")");
}

void StepProfile::on_train_batch_begin(int64_t, Logs&) {
  if (!done_ && !active_ && seen_ == first_) {
    model_.set_profiler(&profiler_);
    active_ = true;
  }
  ++seen_;
}

void StepProfile::on_train_batch_end(int64_t, Logs&) {
  if (active_ && profiler_.steps() >= steps_) finish();
}

void StepProfile::on_train_end(Logs&) {
  if (active_) finish();  // training stopped inside the window: report what was timed
}

void StepProfile::finish() {
  model_.set_profiler(nullptr);
  active_ = false;
  done_ = true;
  if (out_) profiler_.print(*out_, top_nodes_);
}

}  // namespace cutrain::train
