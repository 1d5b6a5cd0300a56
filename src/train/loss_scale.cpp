#include "cutrain/train/loss_scale.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/elementwise.h"

namespace cutrain::train {

LossScaleOptions resolve_loss_scale(const LossScaleOptions& requested, bool is_fp16) {
  LossScaleOptions o = requested;
  if (o.mode == LossScaleMode::automatic) o.mode = is_fp16 ? LossScaleMode::dynamic : LossScaleMode::off;
  if (!o.enabled()) return o;
  CUTRAIN_CHECK(std::isfinite(o.init_scale) && o.init_scale > 0, "loss scale: the scale must be finite and > 0, got ",
                o.init_scale);
  CUTRAIN_CHECK(o.growth_factor > 1, "loss scale: growth_factor must be > 1, got ", o.growth_factor);
  CUTRAIN_CHECK(o.backoff_factor > 0 && o.backoff_factor < 1, "loss scale: backoff_factor must be in (0, 1), got ",
                o.backoff_factor);
  CUTRAIN_CHECK(o.growth_interval >= 1, "loss scale: growth_interval must be >= 1, got ", o.growth_interval);
  return o;
}

LossScaleOptions parse_loss_scale(const std::string& text) {
  LossScaleOptions o;
  if (text == "off") {
    o.mode = LossScaleMode::off;
    return o;
  }
  if (text == "dynamic") {
    o.mode = LossScaleMode::dynamic;
    return o;
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  CUTRAIN_CHECK(!text.empty() && end == text.c_str() + text.size() && std::isfinite(v) && v > 0,
                "loss scale '", text, "': expected dynamic, off or a fixed scale > 0");
  o.mode = LossScaleMode::fixed;
  o.init_scale = v;
  return o;
}

std::string loss_scale_name(const LossScaleOptions& o) {
  switch (o.mode) {
    case LossScaleMode::automatic: return "auto";
    case LossScaleMode::off: return "off";
    case LossScaleMode::dynamic: return "dynamic";
    case LossScaleMode::fixed: break;
  }
  std::ostringstream s;
  s.precision(17);
  s << o.init_scale;
  return s.str();
}

LossScaleGraph build_loss_scale(graph::Graph& g, const LossScaleOptions& o, DType dtype) {
  LossScaleGraph ls;
  ls.scale = g.state("loss_scale/scale", Tensor::full(Shape{}, dtype, o.init_scale));
  ls.growth_tracker = g.state("loss_scale/growth_tracker", Tensor::full(Shape{}, DType::f64, 0.0));
  ls.steps = g.state("loss_scale/optimizer_steps", Tensor::full(Shape{}, DType::f64, 0.0));
  return ls;
}

graph::Value scale_loss(const LossScaleGraph& ls, graph::Value loss) { return graph::mul(loss, ls.scale); }

std::vector<graph::Value> unscale(LossScaleGraph& ls, const std::vector<graph::Value>& grads) {
  std::vector<graph::Value> out = graph::unscale_check_finite(grads, ls.scale);
  ls.found_inf = out.back();
  out.pop_back();
  return out;
}

graph::Value update_scale(const LossScaleGraph& ls, const LossScaleOptions& o,
                          const std::vector<graph::Value>& tokens) {
  params::LossScaleUpdate p;
  p.growth_factor = o.growth_factor;
  p.backoff_factor = o.backoff_factor;
  p.growth_interval = o.growth_interval;
  p.dynamic = o.mode == LossScaleMode::dynamic;
  return graph::update_loss_scale(ls.scale, ls.growth_tracker, ls.steps, ls.found_inf, tokens, p);
}

}  // namespace cutrain::train
