#include "optimizer_flags.h"

#include "cutrain/core/error.h"
#include "flag_checks.h"

namespace cutrain::cli {

namespace {

CLI::Validator loss_scale_check() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        if (input == "auto") return {};
        try {
          train::parse_loss_scale(input);
        } catch (const Error&) {
          return "got '" + input + "': expected dynamic, off, auto or a fixed scale > 0 (e.g. 1024)";
        }
        return {};
      },
      "dynamic|off|auto|N");
}

}  // namespace

void add_step_flags(CLI::App& c, StepFlags& f) {
  c.add_option("--loss-scale", f.loss_scale,
               "loss scaling with torch.amp.GradScaler's rules: dynamic (2^16, x2 after 2000 finite steps, x0.5 "
               "and the update skipped on inf/NaN gradients), a fixed scale N, off; auto: dynamic under fp16")
      ->check(loss_scale_check())
      ->capture_default_str();
  c.add_option("--clip-value", f.clip_value,
               "clip every gradient element to [-V, V] (Keras clipvalue; after --clip-norm; 0: off)")
      ->check(finite_at_least(0))
      ->capture_default_str();
  c.add_option("--accumulate-steps", f.accumulate_steps,
               "sum the gradients of N batches before one update (as one N times larger batch, except batch "
               "norm's per-batch statistics); the lr schedule and --max-steps count updates, the progress bar "
               "batches")
      ->check(integer_in(1, 65536))
      ->capture_default_str();
}

void apply_step_flags(const StepFlags& f, train::CompileOptions& co) {
  if (f.loss_scale != "auto") co.loss_scale = train::parse_loss_scale(f.loss_scale);
  co.clip_value = f.clip_value;
  co.accumulate_steps = f.accumulate_steps;
}

int64_t optimizer_updates(const StepFlags& f, int64_t batches) {
  return (batches + f.accumulate_steps - 1) / f.accumulate_steps;
}

}  // namespace cutrain::cli
