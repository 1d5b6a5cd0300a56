// The public comparison kit (cutrain/testing/expect_tensors.h): it passes
// close tensors and its failures name the worst elements by index.
#include "cutrain/testing/expect_tensors.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <limits>

namespace cutrain {
namespace {

TEST(ExpectTensorsClose, PassesWithinToleranceAndNamesTheWorstElements) {
  Tensor ref = Tensor::zeros({2, 3, 4}, DType::f64);
  for (int64_t i = 0; i < ref.numel(); ++i) ref.set_flat(i, 0.5 + i);
  Tensor got = ref.clone();
  got.set_flat(ref.numel() - 1, got.flat(ref.numel() - 1) + 1e-9);
  EXPECT_TENSORS_CLOSE(got, ref, 1e-6, 0.0);

  got.set_flat(6, ref.flat(6) + 0.25);   // [0, 1, 2]
  got.set_flat(13, ref.flat(13) + 2.0);  // [1, 0, 1]: the worst
  const auto r = testing::tensors_close("got", "ref", "r", "a", got, ref, 1e-6, 1e-8);
  ASSERT_FALSE(r);
  const std::string msg = r.message();
  EXPECT_NE(msg.find("differ at 2 of 24 elements"), std::string::npos) << msg;
  EXPECT_LT(msg.find("[1, 0, 1]"), msg.find("[0, 1, 2]")) << msg;
  EXPECT_NE(msg.find("actual 15.5 expected 13.5"), std::string::npos) << msg;
  EXPECT_NONFATAL_FAILURE(EXPECT_TENSORS_CLOSE(got, ref, 1e-6, 1e-8), "[1, 0, 1]");

  got.set_flat(0, std::numeric_limits<double>::quiet_NaN());
  EXPECT_NONFATAL_FAILURE(EXPECT_TENSORS_CLOSE(got, ref, 1.0, 1.0), "[0, 0, 0]");
  EXPECT_NONFATAL_FAILURE(EXPECT_TENSORS_CLOSE(Tensor::zeros({2}, DType::f64), ref, 1.0, 1.0), "is [2] but");
}

TEST(ExpectGradientsOk, ChecksARegisteredBackward) {
  Tensor x = Tensor::empty({3, 4}, DType::f64);
  x.uniform(0.5, 2.0, 3);
  EXPECT_GRADIENTS_OK("sqrt", std::vector<Tensor>{x}, ops::Attrs{});
}

TEST(SkipWithoutGpu, SkipsCleanly) {
  CUTRAIN_SKIP_WITHOUT_GPU();
  SUCCEED() << "a CUDA device is present";
}

}  // namespace
}  // namespace cutrain
