// Communicator: collective operations across the processes of a data-parallel
// job, one process per device.
//
// A job is launched by `mpirun -np N ...` (one machine, or several with a
// host file). Each process learns its rank, the world size and its local rank
// (its index among the processes of its machine, which picks its GPU) from
// MPI. Collectives move tensors of the process's device:
//   - MPI carries CPU tensors, and bootstraps NCCL (rank 0's unique id is
//     broadcast over MPI);
//   - NCCL carries CUDA tensors, one communicator per process and GPU.
// Without mpirun a process is a world of one (`make_local_communicator`), and
// every collective is the identity, so single-process code needs no branch.
//
// Collectives are enqueued on a stream, like kernels: they start when the
// stream reaches them and the tensor may be reused once the stream has passed
// them (an Event recorded after the call tells when). Every rank must issue
// the same collectives in the same order: issue all of one communicator's
// work from one stream (or one thread), as DDP's communication stream does.
//
// A rank that fails, exits or hangs must not leave the others waiting for
// ever: every collective runs under a deadline (CommunicatorOptions::timeout,
// default 60 s, overridable by CUTRAIN_DIST_TIMEOUT in seconds). When it
// passes, the rank prints which call on which rank timed out and aborts the
// whole job (MPI_Abort), so mpirun ends with a message and a non-zero status.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "cutrain/core/device.h"
#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"

namespace cutrain::dist {

enum class ReduceOp { sum, average };
enum class Backend { local, mpi, nccl };
std::string backend_name(Backend b);  // "local", "mpi", "nccl"

struct CommunicatorOptions {
  // How long one collective may wait for its peers before the job is aborted.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // MPI counts are ints: longer messages go in pieces of at most this many
  // elements (tests lower it to exercise the split).
  int64_t max_chunk_elements = int64_t{1} << 30;
  // The timeout with CUTRAIN_DIST_TIMEOUT (seconds, > 0) applied, if set.
  CommunicatorOptions resolved() const;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Index and count of the job's processes on this machine.
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  virtual Backend backend() const = 0;
  // The device whose tensors this communicator moves.
  virtual Device device() const = 0;

  // In place: every rank's `tensor` becomes the elementwise sum (or mean)
  // of all ranks' tensors. Floating tensors only for average.
  virtual void all_reduce(const Tensor& tensor, ReduceOp op, const Stream& stream) = 0;
  // In place: every rank's `tensor` becomes rank `root`'s.
  virtual void broadcast(const Tensor& tensor, int root, const Stream& stream) = 0;
  // `out` has shape [world_size, in.shape...]; out[r] becomes rank r's `in`.
  virtual void all_gather(const Tensor& in, const Tensor& out, const Stream& stream) = 0;
  // Completes on every rank once every rank has reached it.
  virtual void barrier(const Stream& stream) = 0;

  // "rank 1 of 4 (local 1 of 4), mpi, cpu"
  std::string describe() const;
  bool is_root() const { return rank() == 0; }

 protected:
  // Shape, dtype, device and contiguity checks shared by every backend;
  // `what` names the collective in the message.
  void check_tensor(const Tensor& t, const char* what) const;
  void check_gather(const Tensor& in, const Tensor& out) const;
};

// A world of one: every collective is the identity (all_gather copies).
std::shared_ptr<Communicator> make_local_communicator(Device device = Device::cpu());

// True when this process was started by mpirun/mpiexec (or srun with PMIx).
bool launched_by_mpi();
// True when cutrain was built with MPI (CUTRAIN_MPI) or NCCL.
bool mpi_available();
bool nccl_available();

// The MPI world (MPI_COMM_WORLD, duplicated) on CPU tensors. MPI is initialized
// on first use (thread level MULTIPLE) and finalized at exit. Throws when
// cutrain was built without MPI.
std::shared_ptr<Communicator> mpi_world(const CommunicatorOptions& options = {});

// A NCCL communicator over the ranks of `bootstrap` (which carries NCCL's
// unique id from rank 0), on `device` (by default cuda:<local rank>).
// Throws when cutrain was built without NCCL or no GPU is present.
std::shared_ptr<Communicator> make_nccl_communicator(Communicator& bootstrap,
                                                     const CommunicatorOptions& options = {});
std::shared_ptr<Communicator> make_nccl_communicator(Communicator& bootstrap, Device device,
                                                     const CommunicatorOptions& options = {});

// What a training process uses: when launched by mpirun, NCCL for a CUDA
// device and MPI for the CPU; otherwise a world of one.
std::shared_ptr<Communicator> default_communicator(Device device,
                                                   const CommunicatorOptions& options = {});

// Ends the whole job: prints "cutrain: rank R of N: <message>" to stderr and,
// when MPI is running, MPI_Abort(MPI_COMM_WORLD, code), so that no peer waits
// for a rank that has failed; otherwise exits with `code`.
[[noreturn]] void abort_job(const std::string& message, int code = 1);

}  // namespace cutrain::dist
