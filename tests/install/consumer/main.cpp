// Uses the installed headers and library: a tensor, an op, a device report,
// a user buffer wrapped and permuted, and the weight naming scheme.
#include <cstdio>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/core/tensor.h"
#include "cutrain/nn/weights.h"
#include "cutrain/ops/op.h"

int main() {
  using namespace cutrain;
  const Tensor x = Tensor::from_vector({3}, {-1, 0, 2}, DType::f64);
  const Tensor y = ops::call("relu", {x})[0];
  std::printf("relu: %g %g %g; devices: %zu\n", y.flat(0), y.flat(1), y.flat(2), devices().size());
  std::vector<float> nchw{0, 1, 2, 3, 4, 5, 6, 7};  // [1, 2, 2, 2]
  const Tensor nhwc = nchw_to_nhwc(Tensor::from_blob(nchw.data(), {1, 2, 2, 2}, DType::f32)).contiguous();
  const bool layout_ok = nhwc.flat(1) == 4.0 && allclose(nhwc_to_nchw(nhwc).contiguous(),
                                                          Tensor::from_blob(nchw.data(), {1, 2, 2, 2}, DType::f32));
  const bool names_ok = nn::weight_name("Logits/Conv2d_1c_1x1/weights") == "Logits.Conv2d_1c_1x1.weight";
  std::printf("layout: %s; names: %s\n", layout_ok ? "ok" : "wrong", names_ok ? "ok" : "wrong");
  return y.flat(2) == 2.0 && y.flat(0) == 0.0 && layout_ok && names_ok ? 0 : 1;
}
