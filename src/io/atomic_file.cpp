#include "cutrain/io/atomic_file.h"

#include <fcntl.h>
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
      CUTRAIN_CHECK(n > 0, "cannot write ", path_, ": ", errno_text());
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
    CUTRAIN_THROW("cannot write ", path, ": cannot create temporary file ", tmp.path, ": ",
                  errno_text());
  }
  FdSink sink(tmp.fd, tmp.path);
  body(sink);
  CUTRAIN_CHECK(::fsync(tmp.fd) == 0, "cannot write ", path, ": fsync of ", tmp.path,
                " failed: ", errno_text());
  const int fd = tmp.fd;
  tmp.fd = -1;
  CUTRAIN_CHECK(::close(fd) == 0, "cannot write ", path, ": close of ", tmp.path,
                " failed: ", errno_text());
  CUTRAIN_CHECK(::rename(tmp.path.c_str(), path.c_str()) == 0, "cannot write ", path,
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

}  // namespace cutrain::io
