#include "cutrain/ops/padding.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::ops {

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

Window2d window_2d(const Attrs& attrs, int64_t in_h, int64_t in_w,
                   int64_t kh, int64_t kw) {
  const std::vector<int64_t> strides = attrs.ints("strides", {1, 1});
  const std::vector<int64_t> dilations = attrs.ints("dilations", {1, 1});
  CUTRAIN_CHECK(strides.size() == 2, "strides must be [sh, sw], got ",
                strides.size(), " values");
  CUTRAIN_CHECK(dilations.size() == 2, "dilations must be [dh, dw], got ",
                dilations.size(), " values");
  const Padding padding = parse_padding(attrs.s("padding", "VALID"));
  std::vector<int64_t> pads{0, 0, 0, 0};
  if (padding == Padding::explicit_pads) {
    pads = attrs.ints("pads");
    CUTRAIN_CHECK(pads.size() == 4, "pads must be [top, bottom, left, right], got ",
                  pads.size(), " values");
  }
  Window2d w;
  w.in_h = in_h;
  w.in_w = in_w;
  w.kh = kh;
  w.kw = kw;
  w.sh = strides[0];
  w.sw = strides[1];
  w.dh = dilations[0];
  w.dw = dilations[1];
  const WindowAxis h = window_axis(padding, in_h, kh, w.sh, w.dh, pads[0], pads[1]);
  const WindowAxis v = window_axis(padding, in_w, kw, w.sw, w.dw, pads[2], pads[3]);
  w.pad_top = h.pad_before;
  w.pad_bottom = h.pad_after;
  w.pad_left = v.pad_before;
  w.pad_right = v.pad_after;
  w.out_h = h.out;
  w.out_w = v.out;
  return w;
}

}  // namespace cutrain::ops
