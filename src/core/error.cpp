#include "cutrain/core/error.h"

#include <cstring>

namespace cutrain::detail {

[[noreturn]] void throw_error(const char* file, int line, const std::string& msg) {
  // Keep only the path below the repository root: users read these messages.
  const char* rel = std::strstr(file, "/src/");
  if (!rel) rel = std::strstr(file, "/kernels/");
  if (!rel) rel = std::strstr(file, "/include/");
  throw Error(concat(msg, " [", rel ? rel + 1 : file, ":", line, "]"));
}

}  // namespace cutrain::detail
