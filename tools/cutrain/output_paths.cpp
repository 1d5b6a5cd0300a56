#include "output_paths.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "cutrain/core/error.h"

namespace cutrain::cli {

namespace fs = std::filesystem;

void prepare_output_dir(const std::string& dir, const std::string& flag) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  CUTRAIN_CHECK(!ec, flag, ": cannot create directory '", dir, "': ", ec.message());
  CUTRAIN_CHECK(fs::is_directory(dir, ec), flag, ": '", dir, "' is not a directory");
  CUTRAIN_CHECK(::access(dir.c_str(), W_OK | X_OK) == 0, flag, ": directory '", dir,
                "' is not writable: ", std::strerror(errno));
}

void check_writable_file(const std::string& path, const std::string& flag, bool replaced_atomically) {
  std::error_code ec;
  CUTRAIN_CHECK(!fs::is_directory(path, ec), flag, ": '", path, "' is a directory, not a file");
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  CUTRAIN_CHECK(fs::is_directory(parent, ec), flag, ": cannot write '", path, "': folder '", parent.string(),
                "' does not exist");
  CUTRAIN_CHECK(::access(parent.c_str(), W_OK | X_OK) == 0, flag, ": cannot write '", path, "': folder '",
                parent.string(), "': ", std::strerror(errno));
  if (replaced_atomically && fs::exists(path, ec))
    CUTRAIN_CHECK(fs::is_regular_file(path, ec), flag, ": '", path, "' exists and is not a regular file");
  if (fs::exists(path, ec))
    CUTRAIN_CHECK(::access(path.c_str(), W_OK) == 0, flag, ": cannot write '", path, "': ", std::strerror(errno));
}

}  // namespace cutrain::cli
