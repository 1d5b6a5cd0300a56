#include "cutrain/io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cutrain/core/error.h"

namespace cutrain::io {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

class FdSink final : public FileSink {
 public:
  FdSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void write(const void* data, std::size_t bytes) override {
    const char* p = static_cast<const char*>(data);
    while (bytes > 0) {
      const ssize_t n = ::write(fd_, p, bytes);
      if (n < 0 && errno == EINTR) continue;
      CUTRAIN_CHECK_WRITE(n > 0, "cannot write ", path_, ": ", errno_text());
      p += n;
      bytes -= static_cast<std::size_t>(n);
      written_ += static_cast<std::size_t>(n);
    }
  }
  std::size_t bytes_written() const override { return written_; }

 private:
  int fd_;
  std::string path_;
  std::size_t written_ = 0;
};

// Closes and removes the temporary file unless released after the rename.
struct TempFile {
  int fd = -1;
  std::string path;
  bool keep = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!keep) ::unlink(path.c_str());
  }
};

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(FileSink&)>& body) {
  TempFile tmp;
  tmp.path = path + ".tmp." + std::to_string(::getpid());
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (tmp.fd < 0) {
    tmp.keep = true;  // nothing was created
    CUTRAIN_CHECK_WRITE(false, "cannot write ", path, ": cannot create temporary file ", tmp.path, ": ",
                        errno_text());
  }
  FdSink sink(tmp.fd, tmp.path);
  body(sink);
  CUTRAIN_CHECK_WRITE(::fsync(tmp.fd) == 0, "cannot write ", path, ": fsync of ", tmp.path,
                " failed: ", errno_text());
  const int fd = tmp.fd;
  tmp.fd = -1;
  CUTRAIN_CHECK_WRITE(::close(fd) == 0, "cannot write ", path, ": close of ", tmp.path,
                " failed: ", errno_text());
  CUTRAIN_CHECK_WRITE(::rename(tmp.path.c_str(), path.c_str()) == 0, "cannot write ", path,
                ": rename from ", tmp.path, " failed: ", errno_text());
  tmp.keep = true;
  // Make the rename itself durable; failure here cannot undo it, so it is best effort.
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

// The pid of a name `<anything>.tmp.<digits>`, or -1.
long temp_file_pid(const std::string& name) {
  const std::size_t dot = name.rfind(".tmp.");
  if (dot == std::string::npos || dot == 0) return -1;
  const std::string digits = name.substr(dot + 5);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stol(digits);
}

bool process_exists(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

}  // namespace

std::vector<std::string> remove_stale_temp_files(const std::string& dir, bool include_own_pid) {
  std::vector<std::string> removed;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  if (ec) return removed;
  const long own = static_cast<long>(::getpid());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    const long pid = temp_file_pid(it->path().filename().string());
    if (pid <= 0) continue;
    if (pid == own ? !include_own_pid : process_exists(pid)) continue;
    if (std::filesystem::remove(it->path(), ec)) removed.push_back(it->path().string());
  }
  return removed;
}

}  // namespace cutrain::io
