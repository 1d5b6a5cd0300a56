// Adding the failing node's name to an error thrown by its kernel, keeping
// the error's type: callers tell an out-of-memory failure (to retry with a
// smaller batch or workspace), a write failure or a non-finite value apart
// from other errors by type, so the executors must not flatten them to Error.
#pragma once

#include <string>

#include "cutrain/core/error.h"
#include "cutrain/graph/numerics_check.h"

namespace cutrain::graph::detail {

// Call from a `catch (const Error&)` block only: rethrows the exception being
// handled as the same type, its message followed by " (in node '<node>')".
// A type not listed here becomes a plain Error with the same message.
[[noreturn]] inline void rethrow_in_node(const std::string& node) {
  const auto with_node = [&](const Error& e) { return std::string(e.what()) + " (in node '" + node + "')"; };
  try {
    throw;
  } catch (const OutOfMemoryError& e) {
    throw OutOfMemoryError(with_node(e));
  } catch (const WriteError& e) {
    throw WriteError(with_node(e));
  } catch (const NonFiniteValueError& e) {
    throw NonFiniteValueError(with_node(e));
  } catch (const Error& e) {
    throw Error(with_node(e));
  }
}

}  // namespace cutrain::graph::detail
