// Shared pieces of the fuzz targets: the input as a file for readers that
// take a path, and the rule every target follows: a rejected input throws
// cutrain::Error; anything else (another exception, a crash, a sanitizer
// report, a leak, a timeout or an allocation beyond -rss_limit_mb) is a bug.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "cutrain/core/error.h"

namespace cutrain::fuzz {

// One scratch file per process, rewritten for every input.
inline const std::string& scratch_path(const char* tag) {
  static const std::string path = [&] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/cutrain_fuzz_" + tag + "_" + std::to_string(getpid());
  }();
  return path;
}

inline const std::string& write_scratch(const char* tag, const uint8_t* data, size_t size) {
  const std::string& path = scratch_path(tag);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

template <typename F>
void expect_clean_rejection(F&& f) {
  try {
    f();
  } catch (const cutrain::Error&) {
    // A clean rejection with a message.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uncaught %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

}  // namespace cutrain::fuzz
