// cuDNN convolutions through the legacy (descriptor) API. cuDNN 9 marks this
// API deprecated in favour of the backend graph API; every legacy call of
// cutrain lives in this file so the move is local. The legacy API has one
// padding per side pair, so asymmetric padding (SAME with an even total) is
// rejected here with a clear error; Inception V3 never needs it (every SAME
// op there has stride 1 and an odd kernel).
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "cutrain/core/backend.h"
#include "cutrain/core/caching_allocator.h"
#include "cutrain/cuda/check.h"
#include "cutrain/cuda/conv.h"
#include "handle_pool.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace cutrain::cuda {

std::string ConvGeometry::str() const {
  return detail::concat("x[", n, ",", h, ",", w, ",", c, "] w[", o, ",", kh, ",", kw, ",", c, "] y[", n, ",",
                        oh, ",", ow, ",", o, "] stride ", stride_h, "x", stride_w, " pad t", pad_top, " b",
                        pad_bottom, " l", pad_left, " r", pad_right);
}

ConvSettings& conv_settings() {
  static ConvSettings s;
  return s;
}

namespace {

cudnnDataType_t to_cudnn(DType t) {
  switch (t) {
    case DType::f32: return CUDNN_DATA_FLOAT;
    case DType::f64: return CUDNN_DATA_DOUBLE;
    case DType::f16: return CUDNN_DATA_HALF;
    case DType::bf16: return CUDNN_DATA_BFLOAT16;
    default: CUTRAIN_THROW("conv2d on cuDNN: unsupported dtype ", dtype_name(t));
  }
}

struct CudnnTraits {
  using Handle = cudnnHandle_t;
  static constexpr const char* kName = "cuDNN";
  static Handle create() {
    cudnnHandle_t h = nullptr;
    CUDNN_CHECK(cudnnCreate(&h));
    return h;
  }
  static int destroy(Handle h) noexcept { return static_cast<int>(cudnnDestroy(h)); }
};

// The calling thread's handle on the stream's device, set to the stream for this call.
cudnnHandle_t handle_for(const Stream& s) {
  cudnnHandle_t h = HandlePool<CudnnTraits>::for_this_thread(s.device().index);
  CUDNN_CHECK(cudnnSetStream(h, static_cast<cudaStream_t>(s.native_handle())));
  return h;
}

// One cuDNN descriptor, created with the object and destroyed with it, so a
// throw after some descriptors of a call exist destroys exactly those.
// Movable, not copyable; converts to the raw descriptor for cuDNN calls.
template <typename T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class Descriptor {
 public:
  Descriptor() { CUDNN_CHECK(Create(&d_)); }
  ~Descriptor() { reset(); }
  Descriptor(Descriptor&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
  Descriptor& operator=(Descriptor&& o) noexcept {
    if (this != &o) {
      reset();
      d_ = std::exchange(o.d_, nullptr);
    }
    return *this;
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  operator T() const { return d_; }  // NOLINT(google-explicit-constructor): passed straight to cuDNN

 private:
  void reset() noexcept {
    if (d_ == nullptr) return;
    const cudnnStatus_t st = Destroy(std::exchange(d_, nullptr));
    // A destructor cannot throw: report instead.
    if (st != CUDNN_STATUS_SUCCESS)
      std::fprintf(stderr, "cutrain: destroying a cuDNN descriptor failed: %s\n", cudnnGetErrorString(st));
  }
  T d_ = nullptr;
};

using TensorDescriptor = Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor = Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor =
    Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;

// The descriptors of one call, one RAII object each.
struct Descriptors {
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvolutionDescriptor conv;

  Descriptors(const ConvGeometry& g, DType dtype) {
    CUTRAIN_CHECK(g.pad_top == g.pad_bottom && g.pad_left == g.pad_right,
                  "conv2d on cuDNN: asymmetric padding is not supported by this path (", g.str(), ")");
    const cudnnDataType_t dt = to_cudnn(dtype);
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, dt, g.n, g.c, g.h, g.w));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, dt, g.n, g.o, g.oh, g.ow));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, dt, CUDNN_TENSOR_NHWC, g.o, g.c, g.kh, g.kw));
    // Accumulate in fp32 for half types, in the data type otherwise.
    const cudnnDataType_t compute = dtype == DType::f64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, g.pad_top, g.pad_left, g.stride_h, g.stride_w,
                                                g.dilation_h, g.dilation_w, CUDNN_CROSS_CORRELATION,
                                                compute));
    const bool tensor_ops = dtype == DType::f16 || dtype == DType::bf16 ||
                            (dtype == DType::f32 && (g.allow_tf32 || conv_settings().allow_tf32));
    CUDNN_CHECK(cudnnSetConvolutionMathType(conv, tensor_ops ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int on, oc, ooh, oow;
    CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv, x, w, &on, &oc, &ooh, &oow));
    CUTRAIN_CHECK(on == g.n && oc == g.o && ooh == g.oh && oow == g.ow, "conv2d on cuDNN: output ", on,
                  "x", ooh, "x", oow, "x", oc, " disagrees with the op's inferred shape (", g.str(), ")");
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
  Descriptors(Descriptors&&) = default;
  Descriptors& operator=(Descriptors&&) = default;
};

struct Choice {
  int algo;
  std::size_t workspace;
};

using Key = std::tuple<std::string, int, int, int, int, int, int, int, int, int, int, int, int, int, int, bool, bool>;
Key make_key(const std::string& dir, const ConvGeometry& g, DType t) {
  return {dir, g.n, g.h, g.w, g.c, g.o, g.kh, g.kw, g.stride_h, g.stride_w, g.pad_top, g.pad_left,
          g.dilation_h, g.dilation_w, static_cast<int>(t), conv_settings().deterministic,
          g.allow_tf32 || conv_settings().allow_tf32};
}

struct Cache {
  std::mutex mu;
  std::map<Key, std::vector<Choice>> candidates;  // best first, filtered
};
Cache& cache() {
  static Cache c;
  return c;
}

// cuDNN's heuristic ranking, filtered by status, determinism and the cap.
template <typename Perf, typename Query>
std::vector<Choice> rank(Query query, const char* what, const ConvGeometry& g) {
  Perf perf[16];
  int count = 0;
  query(perf, 16, &count);
  std::vector<Choice> out;
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (conv_settings().deterministic && perf[i].determinism != CUDNN_DETERMINISTIC) continue;
    if (perf[i].memory > conv_settings().workspace_cap) continue;
    out.push_back({static_cast<int>(perf[i].algo), perf[i].memory});
  }
  CUTRAIN_CHECK(!out.empty(), "conv2d on cuDNN: no ", what, " algorithm fits (deterministic=",
                conv_settings().deterministic, ", workspace cap ", format_bytes(conv_settings().workspace_cap),
                ") for ", g.str());
  return out;
}

// Runs `call(algo, workspace, bytes)` with the best candidate whose
// workspace can be allocated; on OOM retries with the smallest workspace.
template <typename Call>
void run_with_workspace(const std::vector<Choice>& cands, const Stream& stream, Call call) {
  CachingAllocator& alloc = backend_for(stream.device()).allocator(stream.device().index);
  auto attempt = [&](const Choice& c) {
    void* ws = c.workspace ? alloc.allocate(c.workspace, stream) : nullptr;
    try {
      call(c.algo, ws, c.workspace);
    } catch (...) {
      if (ws) alloc.deallocate(ws);
      throw;
    }
    if (ws) alloc.deallocate(ws);  // stream-ordered reuse: same stream, safe
  };
  try {
    attempt(cands.front());
  } catch (const OutOfMemoryError&) {
    const Choice smallest = *std::min_element(cands.begin(), cands.end(),
                                              [](auto& a, auto& b) { return a.workspace < b.workspace; });
    attempt(smallest);
  }
}

std::vector<Choice> candidates(const std::string& dir, const ConvGeometry& g, DType t, cudnnHandle_t h,
                               const Descriptors& d) {
  Cache& c = cache();
  const Key key = make_key(dir, g, t);
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.candidates.find(key);
  if (it != c.candidates.end()) return it->second;
  std::vector<Choice> r;
  if (dir == "fwd") {
    r = rank<cudnnConvolutionFwdAlgoPerf_t>(
        [&](auto* p, int n, int* cnt) {
          CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, n, cnt, p));
        },
        "forward", g);
  } else if (dir == "bwd_data") {
    r = rank<cudnnConvolutionBwdDataAlgoPerf_t>(
        [&](auto* p, int n, int* cnt) {
          CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, n, cnt, p));
        },
        "backward-data", g);
  } else {
    r = rank<cudnnConvolutionBwdFilterAlgoPerf_t>(
        [&](auto* p, int n, int* cnt) {
          CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, n, cnt, p));
        },
        "backward-filter", g);
  }
  c.candidates.emplace(key, r);
  return r;
}

void check_device(const char* what, std::initializer_list<const Tensor*> ts, const Stream& s) {
  for (const Tensor* t : ts) {
    CUTRAIN_CHECK(t->device() == s.device(), what, ": tensor on ", t->device().str(), ", stream on ",
                  s.device().str());
    CUTRAIN_CHECK(t->is_contiguous(), what, ": tensors must be contiguous");
  }
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& y, const ConvGeometry& g,
                    const Stream& stream) {
  check_device("conv2d forward", {&x, &w, &y}, stream);
  cudnnHandle_t h = handle_for(stream);
  Descriptors d(g, x.dtype());
  const auto cands = candidates("fwd", g, x.dtype(), h, d);
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  const bool dbl = x.dtype() == DType::f64;
  run_with_workspace(cands, stream, [&](int algo, void* ws, std::size_t bytes) {
    CUDNN_CHECK(cudnnConvolutionForward(h, dbl ? static_cast<const void*>(&one) : &onef, d.x, x.raw_data(), d.w,
                                        w.raw_data(), d.conv, static_cast<cudnnConvolutionFwdAlgo_t>(algo), ws,
                                        bytes, dbl ? static_cast<const void*>(&zero) : &zerof, d.y, y.raw_data()));
  });
}

void conv2d_backward_data(const Tensor& dy, const Tensor& w, const Tensor& dx, const ConvGeometry& g,
                          const Stream& stream) {
  check_device("conv2d backward data", {&dy, &w, &dx}, stream);
  cudnnHandle_t h = handle_for(stream);
  Descriptors d(g, dy.dtype());
  const auto cands = candidates("bwd_data", g, dy.dtype(), h, d);
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  const bool dbl = dy.dtype() == DType::f64;
  run_with_workspace(cands, stream, [&](int algo, void* ws, std::size_t bytes) {
    CUDNN_CHECK(cudnnConvolutionBackwardData(h, dbl ? static_cast<const void*>(&one) : &onef, d.w, w.raw_data(),
                                             d.y, dy.raw_data(), d.conv,
                                             static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), ws, bytes,
                                             dbl ? static_cast<const void*>(&zero) : &zerof, d.x, dx.raw_data()));
  });
}

void conv2d_backward_filter(const Tensor& dy, const Tensor& x, const Tensor& dw, const ConvGeometry& g,
                            const Stream& stream) {
  check_device("conv2d backward filter", {&dy, &x, &dw}, stream);
  cudnnHandle_t h = handle_for(stream);
  Descriptors d(g, dy.dtype());
  const auto cands = candidates("bwd_filter", g, dy.dtype(), h, d);
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  const bool dbl = dy.dtype() == DType::f64;
  run_with_workspace(cands, stream, [&](int algo, void* ws, std::size_t bytes) {
    CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, dbl ? static_cast<const void*>(&one) : &onef, d.x, x.raw_data(),
                                               d.y, dy.raw_data(), d.conv,
                                               static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), ws, bytes,
                                               dbl ? static_cast<const void*>(&zero) : &zerof, d.w, dw.raw_data()));
  });
}

int chosen_algorithm(const std::string& direction, const ConvGeometry& g) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (DType t : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    auto it = c.candidates.find(make_key(direction, g, t));
    if (it != c.candidates.end()) return it->second.front().algo;
  }
  return -1;
}

}  // namespace cutrain::cuda
