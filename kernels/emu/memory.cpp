// Emulated device memory: host memory aligned as cudaMalloc's, copies and
// fills run in stream order on the stream's worker (inline on the null stream).
#include <cstdlib>
#include <cstring>
#include <string>

#include "cutrain/core/error.h"
#include "emu/emu.h"
#include "emu/stream_handle.h"

namespace cutrain::emu {

void* device_malloc(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (p == nullptr) throw OutOfMemoryError("emulated device_malloc of " + std::to_string(bytes) + " bytes failed");
  return p;
}

void device_free(void* p) { std::free(p); }

void memcpy_async(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (stream == nullptr) {
    if (bytes > 0) std::memcpy(dst, src, bytes);
    return;
  }
  stream_impl(stream)->enqueue([=] {
    if (bytes > 0) std::memcpy(dst, src, bytes);
  });
}

void memset_async(void* dst, int value, std::size_t bytes, cudaStream_t stream) {
  if (stream == nullptr) {
    if (bytes > 0) std::memset(dst, value, bytes);
    return;
  }
  stream_impl(stream)->enqueue([=] {
    if (bytes > 0) std::memset(dst, value, bytes);
  });
}

void stream_synchronize(cudaStream_t stream) {
  if (stream != nullptr) stream_impl(stream)->synchronize();
}

}  // namespace cutrain::emu
