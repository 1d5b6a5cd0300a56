// Output paths checked before a long job starts: a bad --plot, --csv,
// --checkpoint-dir or --output must fail in the first second, not after the
// first epoch (or after training). Errors name the flag, the path and errno.
#pragma once

#include <string>

namespace cutrain::cli {

// Creates `dir` (and its parents) when missing; throws cutrain::Error when it
// cannot be created or is not a writable directory.
void prepare_output_dir(const std::string& dir, const std::string& flag);

// Throws cutrain::Error unless a file can be created or replaced at `path`:
// its folder exists and is writable, and `path` itself is not a directory
// or an existing file we may not write. `replaced_atomically`: the file is
// written next to `path` and renamed over it (PNG curves), so an existing
// `path` must be a regular file (never rename over /dev/full or a FIFO).
void check_writable_file(const std::string& path, const std::string& flag, bool replaced_atomically = false);

}  // namespace cutrain::cli
