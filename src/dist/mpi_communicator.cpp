// The MPI backend: CPU tensors over MPI_COMM_WORLD (duplicated, so that our
// traffic never matches a user's own MPI messages).
//
// Collectives are queued on the caller's CPU stream and run there as MPI's
// non-blocking collectives (MPI_Iallreduce, ...), polled until done. Polling
// rather than blocking is what gives every call a deadline: a blocking
// MPI_Allreduce whose peer hangs never returns, while a polled one can give
// up, say which call on which rank waited, and abort the job. MPI is
// initialized with MPI_THREAD_MULTIPLE because the stream's worker thread,
// not the thread that created the communicator, makes the calls; each
// communicator still issues one collective at a time (a mutex), since MPI
// requires the same order of collectives on a communicator in every rank.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "cutrain/core/error.h"
#include "cutrain/dist/communicator.h"
#include "mpi_check.h"

namespace cutrain::dist {

namespace {

bool mpi_running() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

// Initializes MPI on first use and finalizes it at exit (if we initialized it).
class MpiRuntime {
 public:
  static MpiRuntime& get() {
    static MpiRuntime runtime;
    return runtime;
  }
  // Below MPI_THREAD_MULTIPLE every call of ours goes through this lock.
  std::mutex* serial_lock() { return provided_ < MPI_THREAD_MULTIPLE ? &serial_ : nullptr; }

 private:
  MpiRuntime() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) {
      MPI_CHECK(MPI_Query_thread(&provided_), "MPI already initialized by the program");
    } else {
      MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided_),
                "requested MPI_THREAD_MULTIPLE");
      owned_ = true;
    }
    CUTRAIN_CHECK(provided_ >= MPI_THREAD_SERIALIZED, "MPI provides thread level ", provided_,
                  " but cutrain needs at least MPI_THREAD_SERIALIZED (collectives run on "
                  "stream worker threads)");
  }
  ~MpiRuntime() {
    if (owned_ && mpi_running()) MPI_Finalize();
  }
  int provided_ = 0;
  bool owned_ = false;
  std::mutex serial_;
};

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i32: return MPI_INT32_T;
    case DType::i64: return MPI_INT64_T;
    case DType::u8: return MPI_UINT8_T;
    case DType::boolean: return MPI_C_BOOL;
    // Moved, never summed: MPI has no 16-bit float type (see reducible).
    case DType::f16:
    case DType::bf16: return MPI_UINT16_T;
  }
  return MPI_BYTE;
}

bool reducible(DType t) {
  return t == DType::f32 || t == DType::f64 || t == DType::i32 || t == DType::i64 ||
         t == DType::u8;
}

class MpiCommunicator final : public Communicator,
                              public std::enable_shared_from_this<MpiCommunicator> {
 public:
  MpiCommunicator(MPI_Comm parent, const CommunicatorOptions& options)
      : options_(options.resolved()) {
    CUTRAIN_CHECK(options_.max_chunk_elements > 0 && options_.max_chunk_elements <= INT_MAX,
                  "CommunicatorOptions::max_chunk_elements ", options_.max_chunk_elements,
                  " out of range [1, ", INT_MAX, "]");
    MPI_CHECK(MPI_Comm_dup(parent, &comm_), "duplicating the world communicator");
    MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "on the duplicate");
    MPI_CHECK(MPI_Comm_rank(comm_, &rank_), "world");
    MPI_CHECK(MPI_Comm_size(comm_, &size_), "world");
    MPI_Comm node = MPI_COMM_NULL;
    MPI_CHECK(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
              "MPI_COMM_TYPE_SHARED, key ", rank_);
    MPI_CHECK(MPI_Comm_rank(node, &local_rank_), "node");
    MPI_CHECK(MPI_Comm_size(node, &local_size_), "node");
    MPI_Comm_free(&node);
  }
  ~MpiCommunicator() override {
    if (mpi_running()) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  Backend backend() const override { return Backend::mpi; }
  Device device() const override { return Device::cpu(); }

  void all_reduce(const Tensor& t, ReduceOp op, const Stream& stream) override {
    check_tensor(t, "all_reduce");
    CUTRAIN_CHECK(reducible(t.dtype()), "all_reduce of ", dtype_name(t.dtype()),
                  " on MPI: reduce f32, f64, i32, i64 or u8 (cast 16-bit floats to f32 first)");
    CUTRAIN_CHECK(op == ReduceOp::sum || is_floating(t.dtype()), "all_reduce average of ",
                  dtype_name(t.dtype()), ": averages need a floating dtype");
    run(stream, [self = shared_from_this(), t, op] {
      const int64_t n = t.numel();
      const std::size_t esize = dtype_size(t.dtype());
      auto* base = static_cast<char*>(t.raw_data());
      self->for_chunks(n, [&](int64_t offset, int count) {
        MPI_Request req;
        const std::string what = detail::concat(
            "MPI_Iallreduce(MPI_SUM, ", count, " x ", dtype_name(t.dtype()), " at element ", offset,
            " of ", n, ")");
        MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, base + offset * esize, count, mpi_type(t.dtype()),
                                 MPI_SUM, self->comm_, &req),
                  what);
        self->wait(req, what);
      });
      if (op == ReduceOp::average) divide(t, self->size_);
    });
  }

  void broadcast(const Tensor& t, int root, const Stream& stream) override {
    check_tensor(t, "broadcast");
    CUTRAIN_CHECK(0 <= root && root < size_, "broadcast: root ", root, " out of range for ",
                  size_, " ranks");
    run(stream, [self = shared_from_this(), t, root] {
      const int64_t n = t.numel();
      auto* base = static_cast<char*>(t.raw_data());
      self->for_chunks(n, [&](int64_t offset, int count) {
        MPI_Request req;
        const std::string what = detail::concat("MPI_Ibcast(root ", root, ", ", count, " x ",
                                                dtype_name(t.dtype()), " at element ", offset,
                                                " of ", n, ")");
        MPI_CHECK(MPI_Ibcast(base + offset * dtype_size(t.dtype()), count, mpi_type(t.dtype()),
                             root, self->comm_, &req),
                  what);
        self->wait(req, what);
      });
    });
  }

  void all_gather(const Tensor& in, const Tensor& out, const Stream& stream) override {
    check_gather(in, out);
    // The receive layout interleaves ranks, so a split would need derived
    // datatypes; per-rank pieces of 2^31 elements are far beyond DDP's needs.
    CUTRAIN_CHECK(in.numel() <= options_.max_chunk_elements, "all_gather of ", in.numel(),
                  " elements per rank on MPI: at most ", options_.max_chunk_elements);
    run(stream, [self = shared_from_this(), in, out] {
      const int count = static_cast<int>(in.numel());
      const MPI_Datatype type = mpi_type(in.dtype());
      MPI_Request req;
      const std::string what =
          detail::concat("MPI_Iallgather(", count, " x ", dtype_name(in.dtype()), " per rank)");
      MPI_CHECK(MPI_Iallgather(in.raw_data(), count, type, out.raw_data(), count, type,
                               self->comm_, &req),
                what);
      self->wait(req, what);
    });
  }

  void barrier(const Stream& stream) override {
    run(stream, [self = shared_from_this()] {
      MPI_Request req;
      MPI_CHECK(MPI_Ibarrier(self->comm_, &req), "barrier");
      self->wait(req, "MPI_Ibarrier()");
    });
  }

 private:
  template <typename Fn>
  void run(const Stream& stream, Fn fn) {
    const Stream s = stream.valid() ? stream : Stream::default_stream(Device::cpu());
    CUTRAIN_CHECK(s.device().is_cpu(), "MPI collectives run on CPU streams, not on ",
                  s.device().str());
    s.enqueue([self = shared_from_this(), fn = std::move(fn)] {
      std::unique_lock<std::mutex> serial;
      if (std::mutex* m = MpiRuntime::get().serial_lock()) serial = std::unique_lock(*m);
      const std::lock_guard<std::mutex> lock(self->order_);
      fn();
    });
  }

  template <typename Fn>
  void for_chunks(int64_t n, Fn fn) const {
    for (int64_t offset = 0; offset < n; offset += options_.max_chunk_elements) {
      fn(offset, static_cast<int>(std::min(options_.max_chunk_elements, n - offset)));
    }
  }

  // Polls `req` until it completes; past the deadline, aborts the job.
  void wait(MPI_Request& req, const std::string& what) const {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto deadline = start + options_.timeout;
    for (;;) {
      int done = 0;
      MPI_CHECK(MPI_Test(&req, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      // MPI moves a non-blocking collective's pieces only inside MPI_Test,
      // so a transfer in progress is polled back to back (yielding the core
      // to the ranks on it); after a second of waiting the peers are late,
      // not the wire, and the rank backs off to polling every millisecond.
      const auto now = clock::now();
      if (now - start < std::chrono::seconds(1)) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (now > deadline) {
        abort_job(detail::concat(what, " did not complete within ",
                                 static_cast<double>(options_.timeout.count()) / 1000,
                                 " s: a peer rank has failed, exited or hung; aborting the job"));
      }
    }
  }

  static void divide(const Tensor& t, int n) {
    const int64_t count = t.numel();
    if (t.dtype() == DType::f32) {
      auto* p = static_cast<float*>(t.raw_data());
      for (int64_t i = 0; i < count; ++i) p[i] /= static_cast<float>(n);
    } else {
      auto* p = static_cast<double*>(t.raw_data());
      for (int64_t i = 0; i < count; ++i) p[i] /= n;
    }
  }

  CommunicatorOptions options_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::mutex order_;
};

}  // namespace

std::shared_ptr<Communicator> mpi_world(const CommunicatorOptions& options) {
  MpiRuntime::get();
  return std::make_shared<MpiCommunicator>(MPI_COMM_WORLD, options);
}

[[noreturn]] void abort_job(const std::string& message, int code) {
  std::string prefix;
  const bool running = mpi_running();
  if (running) {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    prefix = detail::concat("rank ", rank, " of ", size, ": ");
  }
  std::fprintf(stderr, "cutrain: %s%s\n", prefix.c_str(), message.c_str());
  std::fflush(stderr);
  if (running) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace cutrain::dist
