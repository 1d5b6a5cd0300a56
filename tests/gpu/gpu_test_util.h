// Shared by GPU tests: skip cleanly (with the reason) when no CUDA device is
// usable, so they never fail and never pass silently on machines without one.
// The reason and the typed fixture come from the public kit
// (cutrain/testing/backend_compare.h).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "cutrain/testing/backend_compare.h"

#define CUTRAIN_REQUIRE_GPU()                                                        \
  do {                                                                               \
    const std::string cutrain_why_ = ::cutrain::testing::cuda_unavailable_reason();  \
    if (!cutrain_why_.empty()) GTEST_SKIP() << "GPU test skipped: " << cutrain_why_; \
  } while (0)
