// The CUDA device backend: streams, events, raw allocators and copies for
// cuda:N, registered with the core on first use of a CUDA device.
#include <cuda_runtime.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

#include "cutrain/core/backend.h"
#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/pinned_allocator.h"
#include "cutrain/core/stream_capture.h"
#include "cutrain/cuda/check.h"

namespace cutrain {

namespace {

// Makes `index` current for the calling thread (CUDA state is per thread).
struct DeviceGuard {
  explicit DeviceGuard(int index) {
    CUDA_CHECK(cudaGetDevice(&previous_));
    if (previous_ != index) CUDA_CHECK(cudaSetDevice(index));
    index_ = index;
  }
  ~DeviceGuard() {
    if (previous_ != index_) cudaSetDevice(previous_);
  }
  int previous_ = 0, index_ = 0;
};

// Host functions enqueued while this thread captures: a graph runs them at
// every replay, so they stay alive with the graph instead of deleting
// themselves after one call (captures are thread-local, see begin_capture).
thread_local std::vector<std::shared_ptr<std::function<void()>>> t_captured_host_fns;

// An instantiated CUDA graph: the recorded step, launched on its stream.
class CudaGraphWork final : public CapturedWorkImpl {
 public:
  CudaGraphWork(int index, cudaGraph_t graph, cudaGraphExec_t exec, std::shared_ptr<StreamImpl> stream,
                std::vector<std::shared_ptr<std::function<void()>>> host_fns)
      : index_(index), graph_(graph), exec_(exec), stream_(std::move(stream)), host_fns_(std::move(host_fns)) {}
  ~CudaGraphWork() override {
    DeviceGuard g(index_);
    cudaGraphExecDestroy(exec_);
    cudaGraphDestroy(graph_);
  }
  void replay() override {
    DeviceGuard g(index_);
    CUDA_CHECK(cudaGraphLaunch(exec_, static_cast<cudaStream_t>(stream_->native_handle())));
  }

 private:
  int index_;
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
  std::shared_ptr<StreamImpl> stream_;
  std::vector<std::shared_ptr<std::function<void()>>> host_fns_;
};

class CudaStream final : public StreamImpl {
 public:
  // `owned` false wraps the legacy default stream (never destroyed).
  CudaStream(int index, bool create) : index_(index) {
    if (create) {
      DeviceGuard g(index);
      CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
      owned_ = true;
    }
  }
  ~CudaStream() override {
    if (owned_) cudaStreamDestroy(stream_);
  }
  Device device() const override { return Device::cuda(index_); }
  void synchronize() override { CUDA_CHECK(cudaStreamSynchronize(stream_)); }
  void wait(EventImpl& e) override {
    CUDA_CHECK(cudaStreamWaitEvent(stream_, static_cast<cudaEvent_t>(e.native_handle()), 0));
  }
  void enqueue(std::function<void()> fn) override {
    if (capturing()) {
      auto kept = std::make_shared<std::function<void()>>(std::move(fn));
      t_captured_host_fns.push_back(kept);
      CUDA_CHECK(cudaLaunchHostFunc(
          stream_, [](void* p) { (*static_cast<std::function<void()>*>(p))(); }, kept.get()));
      return;
    }
    auto* heap = new std::function<void()>(std::move(fn));
    CUDA_CHECK(cudaLaunchHostFunc(
        stream_,
        [](void* p) {
          std::unique_ptr<std::function<void()>> f(static_cast<std::function<void()>*>(p));
          (*f)();
        },
        heap));
  }
  void* native_handle() const override { return stream_; }

  // Thread-local mode: only this thread's unsafe calls are refused during
  // the capture; other threads (data loading) keep working.
  void begin_capture() override {
    DeviceGuard g(index_);
    t_captured_host_fns.clear();
    CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  }
  std::shared_ptr<CapturedWorkImpl> end_capture() override {
    DeviceGuard g(index_);
    cudaGraph_t graph = nullptr;
    CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    if (e != cudaSuccess) cudaGraphDestroy(graph);
    CUDA_CHECK(e);
    return std::make_shared<CudaGraphWork>(index_, graph, exec, shared_from_this(),
                                           std::move(t_captured_host_fns));
  }
  void abort_capture() override {
    DeviceGuard g(index_);
    cudaGraph_t graph = nullptr;
    const cudaError_t e = cudaStreamEndCapture(stream_, &graph);
    if (graph != nullptr) cudaGraphDestroy(graph);
    if (e != cudaSuccess) cudaGetLastError();  // the capture was already invalidated
    t_captured_host_fns.clear();
  }
  bool capturing() const override {
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    CUDA_CHECK(cudaStreamIsCapturing(stream_, &status));
    return status != cudaStreamCaptureStatusNone;
  }

 private:
  int index_;
  cudaStream_t stream_ = nullptr;
  bool owned_ = false;
};

class CudaEvent final : public EventImpl {
 public:
  explicit CudaEvent(int index) : index_(index) {
    DeviceGuard g(index);
    CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
  }
  ~CudaEvent() override { cudaEventDestroy(event_); }
  void record(StreamImpl& s) override {
    CUDA_CHECK(cudaEventRecord(event_, static_cast<cudaStream_t>(s.native_handle())));
  }
  bool query() override {
    const cudaError_t e = cudaEventQuery(event_);
    if (e == cudaErrorNotReady) return false;
    CUDA_CHECK(e);
    return true;
  }
  void synchronize() override { CUDA_CHECK(cudaEventSynchronize(event_)); }
  void* native_handle() const override { return event_; }

 private:
  int index_;
  cudaEvent_t event_ = nullptr;
};

class CudaRawAllocator final : public RawAllocator {
 public:
  explicit CudaRawAllocator(int index) : index_(index) {}
  void* allocate(std::size_t bytes) override {
    DeviceGuard g(index_);
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear the sticky-free error state
      return nullptr;
    }
    CUDA_CHECK(e);
    return p;
  }
  void deallocate(void* p, std::size_t) override {
    DeviceGuard g(index_);
    CUDA_CHECK(cudaFree(p));
  }
  Device device() const override { return Device::cuda(index_); }
  std::string name() const override { return "cudaMalloc"; }
  std::size_t free_bytes() const override {
    DeviceGuard g(index_);
    std::size_t free = 0, total = 0;
    CUDA_CHECK(cudaMemGetInfo(&free, &total));
    return free;
  }

 private:
  int index_;
};

// Page-locked host memory for the pinned pool (core/pinned_allocator.h).
// Portable: usable by every device's streams, not only the current one's.
class CudaHostRawAllocator final : public RawAllocator {
 public:
  void* allocate(std::size_t bytes) override {
    void* p = nullptr;
    const cudaError_t e = cudaHostAlloc(&p, bytes, cudaHostAllocPortable);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    CUDA_CHECK(e);
    return p;
  }
  void deallocate(void* p, std::size_t) override { CUDA_CHECK(cudaFreeHost(p)); }
  Device device() const override { return Device::cpu(); }
  std::string name() const override { return "cudaHostAlloc"; }
};

// Whether `p` is page-locked host memory (cudaHostAlloc / registered).
bool pinned_host(const void* p) {
  cudaPointerAttributes a{};
  if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
    cudaGetLastError();  // pageable memory on old runtimes reports an error
    return false;
  }
  return a.type == cudaMemoryTypeHost;
}

struct PerDevice {
  std::shared_ptr<StreamImpl> default_stream;
  std::unique_ptr<CachingAllocator> allocator;
};

class CudaBackend final : public DeviceBackend {
 public:
  CudaBackend() {
    const cudaError_t e = cudaGetDeviceCount(&count_);
    if (e != cudaSuccess) {
      why_ = std::string("no CUDA device: ") + cudaGetErrorString(e);
      count_ = 0;
      cudaGetLastError();
    } else if (count_ == 0) {
      why_ = "no CUDA device: the driver reports 0 devices";
    }
    devices_.resize(static_cast<size_t>(count_));
    // Batches bound for the GPU are pinned (the pool's events are device
    // 0's: one device per process is what fit drives).
    if (count_ > 0)
      register_pinned_source(std::make_shared<CudaHostRawAllocator>(),
                             [] { return Event(std::make_shared<CudaEvent>(0)); });
  }
  DeviceType type() const override { return DeviceType::cuda; }

  std::vector<DeviceInfo> infos() const override {
    std::vector<DeviceInfo> out;
    if (count_ == 0) {
      out.push_back({Device::cuda(0), false, "CUDA", why_});
      return out;
    }
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    for (int i = 0; i < count_; ++i) {
      cudaDeviceProp p{};
      CUDA_CHECK(cudaGetDeviceProperties(&p, i));
      char desc[256];
      std::snprintf(desc, sizeof desc, "sm_%d%d, %d SMs, %.1f GiB, driver %d.%d, runtime %d.%d, cuDNN %zu",
                    p.major, p.minor, p.multiProcessorCount,
                    static_cast<double>(p.totalGlobalMem) / (1ull << 30), driver / 1000,
                    (driver % 1000) / 10, runtime / 1000, (runtime % 1000) / 10, cudnnGetVersion());
      out.push_back({Device::cuda(i), true, p.name, desc});
    }
    return out;
  }
  Stream create_stream(int index) override { return Stream(std::make_shared<CudaStream>(check(index), true)); }
  Stream default_stream(int index) override {
    PerDevice& d = per_device(index);
    return Stream(d.default_stream);
  }
  Event create_event(int index) override { return Event(std::make_shared<CudaEvent>(check(index))); }
  CachingAllocator& allocator(int index) override { return *per_device(index).allocator; }

  void copy(void* dst, Device dd, const void* src, Device sd, std::size_t bytes, const Stream& stream) override {
    const cudaMemcpyKind kind = dd.is_cuda() ? (sd.is_cuda() ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                             : cudaMemcpyDeviceToHost;
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, static_cast<cudaStream_t>(stream.native_handle())));
    // Copies involving pageable host memory must finish before the host
    // touches it again: tensors promise no hidden asynchrony across devices.
    // An upload from pinned memory is the exception that lets a copy stream
    // overlap compute: its source block is kept from reuse by record_stream
    // (Tensor::copy_from), as in PyTorch's non_blocking copies.
    const bool pinned_upload = dd.is_cuda() && !sd.is_cuda() && pinned_host(src);
    if ((!dd.is_cuda() || !sd.is_cuda()) && !pinned_upload)
      CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream.native_handle())));
  }
  void memset(void* dst, int value, std::size_t bytes, const Stream& stream) override {
    CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, static_cast<cudaStream_t>(stream.native_handle())));
  }

 private:
  int check(int index) const {
    CUTRAIN_CHECK(index >= 0 && index < count_, "device cuda:", index, " is not available: ",
                  count_ == 0 ? why_ : "there are " + std::to_string(count_) + " CUDA devices");
    return index;
  }
  PerDevice& per_device(int index) {
    check(index);
    std::lock_guard<std::mutex> lock(mu_);
    PerDevice& d = devices_[static_cast<size_t>(index)];
    if (!d.allocator) {
      // A non-blocking stream per device serves as its default stream, so
      // cutrain work never serialises with the legacy NULL stream.
      d.default_stream = std::make_shared<CudaStream>(index, true);
      d.allocator = std::make_unique<CachingAllocator>(
          std::make_shared<CudaRawAllocator>(index),
          [index] { return Event(std::make_shared<CudaEvent>(index)); });
    }
    return d;
  }

  int count_ = 0;
  std::string why_;
  std::mutex mu_;
  std::vector<PerDevice> devices_;
};

}  // namespace

// Registers the backend with core at static initialisation; core builds it
// on the first lookup of a CUDA device. libcutrain is a static archive by
// default, from which the linker takes only members that resolve a symbol:
// cutrain_cuda_backend_registrar is that symbol, named undefined on every
// consumer's link line (cmake/cutrain_cuda.cmake), so this object is always linked.
extern "C" {
extern const BackendRegistrar cutrain_cuda_backend_registrar;
const BackendRegistrar cutrain_cuda_backend_registrar(
    DeviceType::cuda, []() -> std::unique_ptr<DeviceBackend> { return std::make_unique<CudaBackend>(); });
}

}  // namespace cutrain

namespace cutrain::cuda {

const char* cublas_status_string(cublasStatus_t s) { return cublasGetStatusString(s); }

}  // namespace cutrain::cuda
