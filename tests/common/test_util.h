// Helpers shared by the io and data tests: scratch directories, file
// contents and error capture.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cutrain/core/error.h"

namespace cutrain::testing_util {

// A fresh directory under the test temp dir, removed at scope exit.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& name) {
    path = std::filesystem::path(::testing::TempDir()) /
           ("cutrain_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void spit(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The message of the cutrain::Error thrown by f, or "" (and a test failure) if none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const cutrain::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a cutrain::Error";
  return "";
}

}  // namespace cutrain::testing_util
