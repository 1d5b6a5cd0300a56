// Shared by GPU tests: skip cleanly (with the reason) when no CUDA device is
// usable, so they never fail and never pass silently on machines without one.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "cutrain/core/device.h"

namespace cutrain::testing {

inline std::string cuda_unavailable_reason() {
  for (const DeviceInfo& d : devices())
    if (d.device.is_cuda()) return d.available ? std::string() : d.description;
  return "no CUDA backend";
}

}  // namespace cutrain::testing

#define CUTRAIN_REQUIRE_GPU()                                                       \
  do {                                                                              \
    const std::string cutrain_why_ = ::cutrain::testing::cuda_unavailable_reason(); \
    if (!cutrain_why_.empty()) GTEST_SKIP() << "GPU test skipped: " << cutrain_why_; \
  } while (0)
