// MPI_CHECK(call, context...): every MPI call returns its error code (the
// communicators use MPI_ERRORS_RETURN); a failure throws cutrain::Error with
// the call as written, the values it was made with (the context) and MPI's
// own error string.
#pragma once

#include <mpi.h>

#include <string>

#include "cutrain/core/error.h"

namespace cutrain::dist::mpi_detail {

inline std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(len));
}

}  // namespace cutrain::dist::mpi_detail

#define MPI_CHECK(call, ...)                                                             \
  do {                                                                                   \
    const int cutrain_mpi_rc_ = (call);                                                  \
    if (cutrain_mpi_rc_ != MPI_SUCCESS) [[unlikely]] {                                   \
      CUTRAIN_THROW(#call, " failed (", ::cutrain::detail::concat(__VA_ARGS__), "): ",   \
                    ::cutrain::dist::mpi_detail::mpi_error_string(cutrain_mpi_rc_));         \
    }                                                                                    \
  } while (0)
