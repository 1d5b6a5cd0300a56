// The NCCL backend: CUDA tensors, one communicator per process and GPU.
//
// NCCL enqueues its collectives on the caller's CUDA stream and returns at
// once, so a peer that died or hangs shows up only later, as a stream that
// never passes the collective. A watchdog thread therefore follows every
// collective: an event recorded after it is polled (cudaEventQuery), together
// with ncclCommGetAsyncError; a collective still pending after the timeout,
// or an asynchronous NCCL error, aborts the NCCL communicator (which unblocks
// the GPU) and then the whole job with a message naming the call. The
// unique id that joins the ranks is broadcast over the bootstrap
// communicator (MPI), and the blocking ncclCommInitRank is watched the same way.
// Work captured into a CUDA graph is not followed (its events would belong to
// the graph): replays are bounded by the stream work around them.
#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "cutrain/core/error.h"
#include "cutrain/dist/communicator.h"
#include "nccl_check.h"

namespace cutrain::dist {

namespace {

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::f16: return ncclFloat16;
    case DType::bf16: return ncclBfloat16;
    case DType::i32: return ncclInt32;
    case DType::i64: return ncclInt64;
    case DType::u8:
    case DType::boolean: return ncclUint8;
  }
  return ncclUint8;
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(Communicator& bootstrap, Device device, const CommunicatorOptions& options)
      : options_(options.resolved()),
        device_(device),
        rank_(bootstrap.rank()),
        size_(bootstrap.world_size()),
        local_rank_(bootstrap.local_rank()),
        local_size_(bootstrap.local_size()) {
    CUTRAIN_CHECK(device.is_cuda(), "NCCL communicator on ", device.str(), ": needs a CUDA device");
    CUTRAIN_CHECK(bootstrap.device().is_cpu(), "NCCL bootstrap must be a CPU (MPI) communicator");
    int count = 0;
    DIST_CUDA_CHECK(cudaGetDeviceCount(&count));
    CUTRAIN_CHECK(device.index < count, "rank ", rank_, " (local rank ", local_rank_, ") wants ",
                  device.str(), " but this machine has ", count,
                  " GPUs: start at most as many processes per machine as it has GPUs");
    DIST_CUDA_CHECK(cudaSetDevice(device.index));

    Tensor id = Tensor::zeros({static_cast<int64_t>(sizeof(ncclUniqueId))}, DType::u8);
    if (rank_ == 0) {
      ncclUniqueId uid;
      NCCL_CHECK(ncclGetUniqueId(&uid), "rank 0");
      std::memcpy(id.raw_data(), &uid, sizeof uid);
    }
    const Stream host = Stream::default_stream(Device::cpu());
    bootstrap.broadcast(id, 0, host);
    host.synchronize();
    ncclUniqueId uid;
    std::memcpy(&uid, id.raw_data(), sizeof uid);

    watchdog_ = std::thread([this] { watch(); });
    const auto started = std::chrono::steady_clock::now();
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      initializing_ = true;
      init_started_ = started;
    }
    ncclComm_t comm = nullptr;
    const ncclResult_t rc = ncclCommInitRank(&comm, size_, uid, rank_);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      initializing_ = false;
      comm_ = comm;
    }
    if (rc != ncclSuccess) {
      stop_watchdog();
      NCCL_CHECK(rc, "world size ", size_, ", rank ", rank_, ", ", device.str());
    }
    // A one-element buffer for barrier() (NCCL has no barrier of its own).
    DIST_CUDA_CHECK(cudaMalloc(&barrier_word_, sizeof(int32_t)));
    DIST_CUDA_CHECK(cudaMemset(barrier_word_, 0, sizeof(int32_t)));
  }

  ~NcclCommunicator() override {
    stop_watchdog();
    if (comm_) {
      // Finalize flushes outstanding work; destroy frees. Destructors cannot
      // throw: a failure here is reported and the process goes on exiting.
      const ncclResult_t a = ncclCommFinalize(comm_);
      const ncclResult_t b = ncclCommDestroy(comm_);
      if (a != ncclSuccess || b != ncclSuccess) {
        std::fprintf(stderr, "cutrain: rank %d: ncclCommFinalize/Destroy failed: %s\n", rank_,
                     ncclGetErrorString(a != ncclSuccess ? a : b));
      }
    }
    if (barrier_word_) cudaFree(barrier_word_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  Backend backend() const override { return Backend::nccl; }
  Device device() const override { return device_; }

  void all_reduce(const Tensor& t, ReduceOp op, const Stream& stream) override {
    check_tensor(t, "all_reduce");
    CUTRAIN_CHECK(t.dtype() != DType::boolean, "all_reduce of bool on NCCL: use u8 or i32");
    CUTRAIN_CHECK(op == ReduceOp::sum || is_floating(t.dtype()), "all_reduce average of ",
                  dtype_name(t.dtype()), ": averages need a floating dtype");
    cudaStream_t s = native(stream);
    const std::string what = detail::concat("ncclAllReduce(", op == ReduceOp::sum ? "sum" : "avg",
                                            ", ", t.numel(), " x ", dtype_name(t.dtype()), ")");
    NCCL_CHECK(ncclAllReduce(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()),
                             nccl_type(t.dtype()), op == ReduceOp::sum ? ncclSum : ncclAvg,
                             comm_, s),
               what);
    follow(s, what);
  }

  void broadcast(const Tensor& t, int root, const Stream& stream) override {
    check_tensor(t, "broadcast");
    CUTRAIN_CHECK(0 <= root && root < size_, "broadcast: root ", root, " out of range for ",
                  size_, " ranks");
    cudaStream_t s = native(stream);
    const std::string what = detail::concat("ncclBroadcast(root ", root, ", ", t.numel(), " x ",
                                            dtype_name(t.dtype()), ")");
    NCCL_CHECK(ncclBroadcast(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()),
                             nccl_type(t.dtype()), root, comm_, s),
               what);
    follow(s, what);
  }

  void all_gather(const Tensor& in, const Tensor& out, const Stream& stream) override {
    check_gather(in, out);
    cudaStream_t s = native(stream);
    const std::string what =
        detail::concat("ncclAllGather(", in.numel(), " x ", dtype_name(in.dtype()), " per rank)");
    NCCL_CHECK(ncclAllGather(in.raw_data(), out.raw_data(), static_cast<std::size_t>(in.numel()),
                             nccl_type(in.dtype()), comm_, s),
               what);
    follow(s, what);
  }

  void barrier(const Stream& stream) override {
    cudaStream_t s = native(stream);
    NCCL_CHECK(ncclAllReduce(barrier_word_, barrier_word_, 1, ncclInt32, ncclSum, comm_, s),
               "barrier");
    follow(s, "barrier (ncclAllReduce of one int32)");
  }

 private:
  struct Pending {
    cudaEvent_t done;
    std::chrono::steady_clock::time_point enqueued;
    std::string what;
  };

  cudaStream_t native(const Stream& stream) const {
    const Stream s = stream.valid() ? stream : Stream::default_stream(device_);
    CUTRAIN_CHECK(s.device() == device_, "NCCL collective on a ", s.device().str(),
                  " stream; the communicator is on ", device_.str());
    return static_cast<cudaStream_t>(s.native_handle());
  }

  // Hands the collective just enqueued on `s` to the watchdog.
  void follow(cudaStream_t s, const std::string& what) {
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    DIST_CUDA_CHECK(cudaStreamIsCapturing(s, &capture));
    if (capture != cudaStreamCaptureStatusNone) return;
    cudaEvent_t e = nullptr;
    DIST_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    DIST_CUDA_CHECK(cudaEventRecord(e, s));
    const std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back({e, std::chrono::steady_clock::now(), what});
    wake_.notify_one();
  }

  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    // Event queries need the communicator's device current on this thread.
    if (const cudaError_t e = cudaSetDevice(device_.index); e != cudaSuccess) {
      fail(detail::concat("cudaSetDevice(", device_.index, ") on the watchdog thread"),
           detail::concat("failed (", cudaGetErrorString(e), ")"));
    }
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(20));
      const auto now = std::chrono::steady_clock::now();
      if (initializing_ && now - init_started_ > options_.timeout) {
        fail(detail::concat("ncclCommInitRank(world size ", size_, ", rank ", rank_, ", ",
                            device_.str(), ")"),
             late());
      }
      while (!pending_.empty()) {
        Pending& p = pending_.front();
        const cudaError_t q = cudaEventQuery(p.done);
        if (q == cudaSuccess) {
          cudaEventDestroy(p.done);
          pending_.pop_front();
          continue;
        }
        if (q != cudaErrorNotReady) {
          fail(p.what, detail::concat("failed on the device: ", cudaGetErrorString(q)));
        }
        if (now - p.enqueued > options_.timeout) fail(p.what, late());
        break;
      }
      if (comm_) {
        ncclResult_t async = ncclSuccess;
        if (ncclCommGetAsyncError(comm_, &async) == ncclSuccess && async != ncclSuccess &&
            async != ncclInProgress) {
          fail("a NCCL collective", detail::concat("failed asynchronously: ",
                                                   ncclGetErrorString(async)));
        }
      }
    }
  }

  std::string late() const {
    return detail::concat("did not complete within ",
                          static_cast<double>(options_.timeout.count()) / 1000, " s");
  }

  [[noreturn]] void fail(const std::string& what, const std::string& how) {
    const std::string message =
        detail::concat(what, " on ", device_.str(), " ", how,
                       ": a peer rank has failed, exited or hung; aborting the job");
    if (comm_) ncclCommAbort(comm_);
    abort_job(message);
  }

  void stop_watchdog() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      wake_.notify_one();
    }
    if (watchdog_.joinable()) watchdog_.join();
    for (Pending& p : pending_) cudaEventDestroy(p.done);
    pending_.clear();
  }

  CommunicatorOptions options_;
  Device device_;
  int rank_, size_, local_rank_, local_size_;
  ncclComm_t comm_ = nullptr;
  int32_t* barrier_word_ = nullptr;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  bool stopping_ = false;
  bool initializing_ = false;
  std::chrono::steady_clock::time_point init_started_;
  std::thread watchdog_;
};

}  // namespace

std::shared_ptr<Communicator> make_nccl_communicator(Communicator& bootstrap, Device device,
                                                     const CommunicatorOptions& options) {
  return std::make_shared<NcclCommunicator>(bootstrap, device, options);
}

}  // namespace cutrain::dist
