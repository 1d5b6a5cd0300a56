// cutrain::Error and the check macros used everywhere.
//
// Every failure a user can trigger ends in an Error whose message says what was
// being done (the op, the file, the flag, the shapes) so it can be acted on
// without a debugger. CUTRAIN_CHECK builds the message only on failure.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cutrain {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Raised when a device or host allocation cannot be satisfied, so callers
// (cuDNN workspace selection, tests) can tell OOM apart from other failures.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

// A file or stream that could not be written or closed (disk full, I/O
// error): a runtime failure, which the CLI reports with exit code 1 rather
// than as bad input. The message names the path and the errno text.
class WriteError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
[[noreturn]] void throw_error(const char* file, int line, const std::string& msg);
}  // namespace detail

}  // namespace cutrain

#define CUTRAIN_THROW(...) \
  ::cutrain::detail::throw_error(__FILE__, __LINE__, ::cutrain::detail::concat(__VA_ARGS__))

// CUTRAIN_CHECK_WRITE(cond, "message parts", ...): throws cutrain::WriteError.
#define CUTRAIN_CHECK_WRITE(cond, ...)                                            \
  do {                                                                            \
    if (!(cond)) [[unlikely]] {                                                   \
      throw ::cutrain::WriteError(::cutrain::detail::concat(__VA_ARGS__));        \
    }                                                                             \
  } while (0)

// CUTRAIN_CHECK(cond, "message parts", value, ...): throws cutrain::Error.
#define CUTRAIN_CHECK(cond, ...)  \
  do {                            \
    if (!(cond)) [[unlikely]] {   \
      CUTRAIN_THROW(__VA_ARGS__); \
    }                             \
  } while (0)

// Errors inside an op's inference or kernels: "op 'conv2d': <message>".
#define CUTRAIN_OP_CHECK(op, cond, ...) CUTRAIN_CHECK(cond, "op '", op, "': ", __VA_ARGS__)
