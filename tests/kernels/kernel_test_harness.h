// Harness for per-kernel tests: one GoogleTest body per kernel, run once per
// backend (emulated, cuda) and compared with a CPU reference. Bodies written
// once for float and double use CUTRAIN_TYPED_KERNEL_TEST (below).
//
//   CUTRAIN_KERNEL_TEST(ReluForward) {
//     for (int64_t n : edge_sizes(256)) for_each_order([&] {
//       DeviceBuffer<float> x(backend(), host_x), y(backend(), n);
//       CUTRAIN_KERNEL_CALL(backend(), relu_forward, x.get(), y.get(), n, backend().stream());
//       EXPECT_TRUE(all_close(y.download(), ref, 0, 0));
//     });
//   }
//
// The cuda case is skipped (GTEST_SKIP with the reason) without a CUDA build
// or device. The emulated case runs the body under every thread order.
// ctest runs `--gtest_filter=*/emulated*` (label emulated) and `*/cuda*` (gpu).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"
#include "emu/runtime.h"

#if CUTRAIN_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace cutrain::testing {

enum class Backend { emulated, cuda };

inline std::string backend_name(Backend b) {
  return b == Backend::emulated ? "emulated" : "cuda";
}

#if CUTRAIN_WITH_CUDA
#define CUTRAIN_TEST_CUDA_CHECK(call)                                             \
  do {                                                                            \
    const cudaError_t e_ = (call);                                                \
    CUTRAIN_CHECK(e_ == cudaSuccess, #call, " failed: ", cudaGetErrorString(e_)); \
  } while (0)
#endif

// One backend's device memory and stream. Emulated: a threaded CPU stream (so
// launches really are queued) and host memory; cuda: a CUDA stream and
// cudaMalloc'd memory.
class KernelBackend {
 public:
  explicit KernelBackend(Backend kind) : kind_(kind) {
    if (kind_ == Backend::emulated) {
      cpu_stream_ = make_cpu_stream({});
      stream_ = emu::stream_handle(cpu_stream_);
    } else {
#if CUTRAIN_WITH_CUDA
      CUTRAIN_TEST_CUDA_CHECK(cudaStreamCreate(&stream_));
#endif
    }
  }
  ~KernelBackend() {
#if CUTRAIN_WITH_CUDA
    if (kind_ == Backend::cuda && stream_ != nullptr) cudaStreamDestroy(stream_);
#endif
  }
  KernelBackend(const KernelBackend&) = delete;
  KernelBackend& operator=(const KernelBackend&) = delete;

  Backend kind() const {
    return kind_;
  }
  cudaStream_t stream() const {
    return stream_;
  }

  void* alloc(std::size_t bytes) {
#if CUTRAIN_WITH_CUDA
    if (kind_ == Backend::cuda) {
      void* p = nullptr;
      CUTRAIN_TEST_CUDA_CHECK(cudaMalloc(&p, bytes));
      return p;
    }
#endif
    return emu::device_malloc(bytes);
  }
  void free(void* p) {
#if CUTRAIN_WITH_CUDA
    if (kind_ == Backend::cuda) {
      cudaFree(p);
      return;
    }
#endif
    emu::device_free(p);
  }
  void copy(void* dst, const void* src, std::size_t bytes) {
#if CUTRAIN_WITH_CUDA
    if (kind_ == Backend::cuda) {
      CUTRAIN_TEST_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream_));
      return;
    }
#endif
    emu::memcpy_async(dst, src, bytes, stream_);
  }
  void memset(void* dst, int value, std::size_t bytes) {
#if CUTRAIN_WITH_CUDA
    if (kind_ == Backend::cuda) {
      CUTRAIN_TEST_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, stream_));
      return;
    }
#endif
    emu::memset_async(dst, value, bytes, stream_);
  }
  // Waits for the stream; rethrows errors of emulated kernels.
  void synchronize() {
#if CUTRAIN_WITH_CUDA
    if (kind_ == Backend::cuda) {
      CUTRAIN_TEST_CUDA_CHECK(cudaStreamSynchronize(stream_));
      return;
    }
#endif
    emu::stream_synchronize(stream_);
  }

 private:
  Backend kind_;
  Stream cpu_stream_;
  cudaStream_t stream_ = nullptr;
};

// A device array of T. Outputs start as 0xFF bytes (NaN for floats), so an
// element the kernel forgot to write fails the comparison.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer(KernelBackend& b, std::size_t n) : b_(b), n_(n) {
    p_ = static_cast<T*>(b_.alloc(bytes()));
    b_.memset(p_, 0xFF, bytes());
  }
  DeviceBuffer(KernelBackend& b, const std::vector<T>& host) : b_(b), n_(host.size()) {
    p_ = static_cast<T*>(b_.alloc(bytes()));
    b_.copy(p_, host.data(), bytes());
    b_.synchronize();
  }
  ~DeviceBuffer() { b_.free(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return p_; }
  std::size_t size() const { return n_; }
  std::size_t bytes() const { return n_ * sizeof(T); }
  // Synchronizes the backend's stream, then copies back.
  std::vector<T> download() {
    std::vector<T> host(n_);
    b_.copy(host.data(), p_, bytes());
    b_.synchronize();
    return host;
  }

 private:
  KernelBackend& b_;
  std::size_t n_;
  T* p_ = nullptr;
};

// Sizes that hit the edges of a kernel with `block` threads per block:
// 1, 31, 32, 33, block-1, block, block+1 and several blocks with a tail.
inline std::vector<int64_t> edge_sizes(int64_t block) {
  const std::set<int64_t> s{1, 31, 32, 33, block - 1, block, block + 1, 3 * block + 17};
  std::vector<int64_t> out;
  for (int64_t v : s)
    if (v > 0) out.push_back(v);
  return out;
}

// |out - ref| <= atol + rtol * |ref| elementwise; NaN must match NaN.
template <typename T>
::testing::AssertionResult all_close(const std::vector<T>& out, const std::vector<T>& ref,
                                     double atol, double rtol) {
  if (out.size() != ref.size())
    return ::testing::AssertionFailure()
           << "size " << out.size() << " != reference size " << ref.size();
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double o = static_cast<double>(out[i]), r = static_cast<double>(ref[i]);
    const bool ok =
        (std::isnan(o) && std::isnan(r)) || std::abs(o - r) <= atol + rtol * std::abs(r);
    if (!ok && bad++ == 0) first = i;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << out.size() << " elements differ; first at [" << first
         << "]: " << static_cast<double>(out[first]) << " vs reference "
         << static_cast<double>(ref[first]) << " (atol " << atol << ", rtol " << rtol << ")";
}

// What both fixtures share: the backend under test and the thread orders.
class KernelFixture {
 public:
  KernelBackend& backend() { return *backend_; }
  bool emulated() const { return backend_->kind() == Backend::emulated; }

  // Runs `body` under every emulated thread order (once on a GPU).
  template <typename F>
  void for_each_order(F&& body) {
    if (!emulated()) {
      body();
      return;
    }
    for (const char* o : {"forward", "reverse", "random:1", "random:2"}) {
      SCOPED_TRACE(std::string("thread order ") + o);
      emu::ScopedThreadOrder scoped(emu::ThreadOrder::parse(o));
      body();
    }
  }

 protected:
  // Why `b` cannot run here, or "" when it can.
  static std::string unavailable(Backend b) {
    if (b != Backend::cuda) return "";
#if CUTRAIN_WITH_CUDA
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(e);
    if (count == 0) return "no CUDA device: device count is 0";
    return "";
#else
    return "CUDA backend not built (configure with -DCUTRAIN_CUDA=ON)";
#endif
  }
  void start(Backend b) {
    backend_ = std::make_unique<KernelBackend>(b);
  }

 private:
  std::unique_ptr<KernelBackend> backend_;
};

// CUTRAIN_KERNEL_TEST: one body per backend, the element types chosen inside.
class KernelTest : public ::testing::TestWithParam<Backend>, public KernelFixture {
 protected:
  void SetUp() override {
    if (const std::string why = unavailable(GetParam()); !why.empty()) GTEST_SKIP() << why;
    start(GetParam());
  }
};

// CUTRAIN_TYPED_KERNEL_TEST: GoogleTest typed tests over (element type,
// backend), Caffe's pattern: the body is written once for
// `typename TypeParam::Scalar` and runs for float and double on each backend.
template <typename T, Backend B>
struct KernelCase {
  using Scalar = T;
  static constexpr Backend backend = B;
};

template <typename Case>
class TypedKernelTest : public ::testing::Test, public KernelFixture {
 protected:
  void SetUp() override {
    if (const std::string why = unavailable(Case::backend); !why.empty()) GTEST_SKIP() << why;
    start(Case::backend);
  }
};

using KernelCases =
    ::testing::Types<KernelCase<float, Backend::emulated>, KernelCase<double, Backend::emulated>,
                     KernelCase<float, Backend::cuda>, KernelCase<double, Backend::cuda>>;

// "emulated_f32", "cuda_f64": ctest selects a backend with */emulated* or */cuda*.
struct KernelCaseName {
  template <typename Case>
  static std::string GetName(int) {
    return backend_name(Case::backend) +
           (std::is_same_v<typename Case::Scalar, float> ? "_f32" : "_f64");
  }
};

// A bound that depends on the element type: tolerance<T>(1e-5, 1e-13).
template <typename T>
constexpr double tolerance(double f32, double f64) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  return std::is_same_v<T, float> ? f32 : f64;
}

[[noreturn]] inline void no_cuda_build(const char* fn) {
  CUTRAIN_THROW("cannot call the CUDA build of ", fn, ": CUDA backend not built");
}

}  // namespace cutrain::testing

// Declares a kernel test body run once per backend (emulated, cuda).
#define CUTRAIN_KERNEL_TEST(Name)                                                                  \
  class Name : public ::cutrain::testing::KernelTest {};                                           \
  INSTANTIATE_TEST_SUITE_P(                                                                        \
      Backends, Name,                                                                              \
      ::testing::Values(::cutrain::testing::Backend::emulated, ::cutrain::testing::Backend::cuda), \
      [](const ::testing::TestParamInfo<::cutrain::testing::Backend>& info) {                      \
        return ::cutrain::testing::backend_name(info.param);                                       \
      });                                                                                          \
  TEST_P(Name, MatchesReference)

// Declares a kernel test body typed over float and double on every backend:
//
//   CUTRAIN_TYPED_KERNEL_TEST(BiasKernels) {
//     using T = typename TypeParam::Scalar;
//     this->for_each_order([&] { ... DeviceBuffer<T> x(this->backend(), host) ... });
//   }
#define CUTRAIN_TYPED_KERNEL_TEST(Name)                                                        \
  template <typename Case>                                                                     \
  class Name : public ::cutrain::testing::TypedKernelTest<Case> {};                            \
  TYPED_TEST_SUITE(Name, ::cutrain::testing::KernelCases, ::cutrain::testing::KernelCaseName); \
  TYPED_TEST(Name, MatchesReference)

// Calls the launcher `fn` of the backend under test:
// CUTRAIN_KERNEL_CALL(backend(), relu_forward, x, y, n, backend().stream()).
#if CUTRAIN_WITH_CUDA
#define CUTRAIN_KERNEL_CALL(be, fn, ...)                \
  ((be).kind() == ::cutrain::testing::Backend::emulated \
       ? ::cutrain::kernels::emu::fn(__VA_ARGS__)       \
       : ::cutrain::kernels::cuda::fn(__VA_ARGS__))
#else
#define CUTRAIN_KERNEL_CALL(be, fn, ...)                                                           \
  ((be).kind() == ::cutrain::testing::Backend::emulated ? ::cutrain::kernels::emu::fn(__VA_ARGS__) \
                                                        : ::cutrain::testing::no_cuda_build(#fn))
#endif
