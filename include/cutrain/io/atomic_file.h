// Atomic file replacement: write to `<path>.tmp.<pid>`, fsync, rename.
//
// Checkpoints and logs must never be left half-written: a crash or an error
// in the middle of a write leaves the previous file at `path` untouched, and
// the temporary file is removed on every error path we can observe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace cutrain::io {

// Sequential writer handed to the body of write_file_atomic.
class FileSink {
 public:
  virtual ~FileSink() = default;
  virtual void write(const void* data, std::size_t bytes) = 0;
  virtual std::size_t bytes_written() const = 0;
};

// Runs `body` against a temporary file next to `path`, then makes it durable
// and renames it over `path`. Throws cutrain::Error naming the file and the
// failing step (open, write, fsync, rename); any exception from `body`
// propagates after the temporary file is removed.
void write_file_atomic(const std::string& path, const std::function<void(FileSink&)>& body);

// Removes the `*.tmp.<pid>` files in `dir` that a killed writer left behind:
// those whose process no longer exists, and with `include_own_pid` those of
// this process's pid too (a container restarts its process under the same
// pid; pass it only before this process writes into `dir`). Returns the
// removed paths. A missing directory is not an error.
std::vector<std::string> remove_stale_temp_files(const std::string& dir, bool include_own_pid);

}  // namespace cutrain::io
