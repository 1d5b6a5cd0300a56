// NCCL_CHECK(call, context...): a failed NCCL call throws cutrain::Error with
// the call as written, the values it was made with, NCCL's error string and
// its last error message (which names the peer or transport that failed).
#pragma once

#include <nccl.h>

#include "cutrain/core/error.h"

#define NCCL_CHECK(call, ...)                                                                \
  do {                                                                                       \
    const ncclResult_t cutrain_nccl_rc_ = (call);                                            \
    if (cutrain_nccl_rc_ != ncclSuccess && cutrain_nccl_rc_ != ncclInProgress) [[unlikely]] { \
      CUTRAIN_THROW(#call, " failed (", ::cutrain::detail::concat(__VA_ARGS__), "): ",       \
                    ncclGetErrorString(cutrain_nccl_rc_), ": ", ncclGetLastError(nullptr));  \
    }                                                                                        \
  } while (0)
