// The window arithmetic of cutrain/params/window.h.
#include "cutrain/params/window.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::params {

Padding parse_padding(const std::string& name) {
  if (name == "SAME") return Padding::same;
  if (name == "VALID") return Padding::valid;
  if (name == "EXPLICIT") return Padding::explicit_pads;
  CUTRAIN_THROW("padding must be SAME, VALID or EXPLICIT, got '", name, "'");
}

const char* padding_name(Padding p) {
  switch (p) {
    case Padding::same: return "SAME";
    case Padding::valid: return "VALID";
    case Padding::explicit_pads: return "EXPLICIT";
  }
  return "?";
}

WindowAxis window_axis(Padding padding, int64_t in, int64_t kernel,
                       int64_t stride, int64_t dilation, int64_t explicit_before,
                       int64_t explicit_after) {
  CUTRAIN_CHECK(kernel >= 1 && stride >= 1 && dilation >= 1, "kernel ", kernel,
                ", stride ", stride, " and dilation ", dilation, " must be positive");
  CUTRAIN_CHECK(in >= 1, "spatial size ", in, " must be positive");
  const int64_t k_eff = (kernel - 1) * dilation + 1;
  WindowAxis a;
  switch (padding) {
    case Padding::same: {
      a.out = (in + stride - 1) / stride;
      const int64_t total = std::max<int64_t>((a.out - 1) * stride + k_eff - in, 0);
      a.pad_before = total / 2;
      a.pad_after = total - a.pad_before;
      break;
    }
    case Padding::valid:
      CUTRAIN_CHECK(in >= k_eff, "VALID window of ", k_eff,
                    " (kernel ", kernel, ", dilation ", dilation, ") does not fit input size ", in);
      a.out = (in - k_eff) / stride + 1;
      break;
    case Padding::explicit_pads:
      CUTRAIN_CHECK(explicit_before >= 0 && explicit_after >= 0, "pads ",
                    explicit_before, ", ", explicit_after, " must be non-negative");
      CUTRAIN_CHECK(in + explicit_before + explicit_after >= k_eff, "window of ",
                    k_eff, " does not fit input size ", in, " padded by ", explicit_before, "+",
                    explicit_after);
      a.pad_before = explicit_before;
      a.pad_after = explicit_after;
      a.out = (in + explicit_before + explicit_after - k_eff) / stride + 1;
      break;
  }
  return a;
}

}  // namespace cutrain::params
