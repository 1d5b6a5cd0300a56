#include "cutrain/ops/padding.h"

#include <vector>

#include "cutrain/core/error.h"

namespace cutrain::ops {

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
