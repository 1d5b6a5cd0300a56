// What every backend shares: names, checks, the world of one, the launch
// detection and the default choice of backend.
#include "cutrain/dist/communicator.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cutrain/core/error.h"

namespace cutrain::dist {

std::string backend_name(Backend b) {
  switch (b) {
    case Backend::local: return "local";
    case Backend::mpi: return "mpi";
    case Backend::nccl: return "nccl";
  }
  return "?";
}

CommunicatorOptions CommunicatorOptions::resolved() const {
  CommunicatorOptions o = *this;
  if (const char* env = std::getenv("CUTRAIN_DIST_TIMEOUT"); env && *env) {
    char* end = nullptr;
    const double s = std::strtod(env, &end);
    CUTRAIN_CHECK(end && *end == '\0' && s > 0 && s <= 86400, "CUTRAIN_DIST_TIMEOUT='", env,
                  "': expected seconds in (0, 86400]");
    o.timeout = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
  }
  return o;
}

std::string Communicator::describe() const {
  return detail::concat("rank ", rank(), " of ", world_size(), " (local ", local_rank(), " of ",
                        local_size(), "), ", backend_name(backend()), ", ", device().str());
}

void Communicator::check_tensor(const Tensor& t, const char* what) const {
  CUTRAIN_CHECK(t.defined(), what, ": undefined tensor (", describe(), ")");
  CUTRAIN_CHECK(t.device() == device(), what, ": tensor on ", t.device().str(),
                " but the communicator moves ", device().str(), " tensors (", describe(), ")");
  CUTRAIN_CHECK(t.is_contiguous(), what, ": tensor of shape ", t.shape().str(),
                " is not contiguous");
}

void Communicator::check_gather(const Tensor& in, const Tensor& out) const {
  check_tensor(in, "all_gather input");
  check_tensor(out, "all_gather output");
  std::vector<int64_t> want{world_size()};
  for (int i = 0; i < in.rank(); ++i) want.push_back(in.dim(i));
  CUTRAIN_CHECK(out.shape() == Shape(want) && out.dtype() == in.dtype(), "all_gather: output ",
                out.shape().str(), " ", dtype_name(out.dtype()), " for input ", in.shape().str(),
                " ", dtype_name(in.dtype()), " on ", world_size(), " ranks: expected ",
                Shape(want).str(), " ", dtype_name(in.dtype()));
}

namespace {

class LocalCommunicator final : public Communicator {
 public:
  explicit LocalCommunicator(Device device) : device_(device) {}
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  Backend backend() const override { return Backend::local; }
  Device device() const override { return device_; }

  void all_reduce(const Tensor& t, ReduceOp op, const Stream&) override {
    check_tensor(t, "all_reduce");
    CUTRAIN_CHECK(op == ReduceOp::sum || is_floating(t.dtype()), "all_reduce average of ",
                  dtype_name(t.dtype()), ": averages need a floating dtype");
  }
  void broadcast(const Tensor& t, int root, const Stream&) override {
    check_tensor(t, "broadcast");
    CUTRAIN_CHECK(root == 0, "broadcast: root ", root, " out of range for a world of 1");
  }
  void all_gather(const Tensor& in, const Tensor& out, const Stream& stream) override {
    check_gather(in, out);
    Tensor dst = out.reshape(in.shape());
    dst.copy_from(in, stream);
  }
  void barrier(const Stream&) override {}

 private:
  Device device_;
};

}  // namespace

std::shared_ptr<Communicator> make_local_communicator(Device device) {
  return std::make_shared<LocalCommunicator>(device);
}

bool launched_by_mpi() {
  // OpenMPI's mpirun, MPICH/Hydra (PMI) and PMIx launchers (srun, prterun).
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(v)) return true;
  }
  return false;
}

bool mpi_available() { return CUTRAIN_WITH_MPI != 0; }
bool nccl_available() { return CUTRAIN_WITH_NCCL != 0; }

#if !CUTRAIN_WITH_MPI
std::shared_ptr<Communicator> mpi_world(const CommunicatorOptions&) {
  CUTRAIN_THROW("distributed training needs MPI: this cutrain was built without it "
                "(install libopenmpi-dev and configure with -DCUTRAIN_MPI=ON)");
}
[[noreturn]] void abort_job(const std::string& message, int code) {
  std::fprintf(stderr, "cutrain: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(code);
}
#endif
#if !CUTRAIN_WITH_NCCL
std::shared_ptr<Communicator> make_nccl_communicator(Communicator&, Device,
                                                     const CommunicatorOptions&) {
  CUTRAIN_THROW("NCCL collectives on CUDA tensors: this cutrain was built without NCCL "
                "(it needs the CUDA backend and MPI)");
}
#endif

std::shared_ptr<Communicator> make_nccl_communicator(Communicator& bootstrap,
                                                     const CommunicatorOptions& options) {
  return make_nccl_communicator(bootstrap, Device::cuda(bootstrap.local_rank()), options);
}

std::shared_ptr<Communicator> default_communicator(Device device,
                                                   const CommunicatorOptions& options) {
  if (!launched_by_mpi()) return make_local_communicator(device);
  auto world = mpi_world(options);
  if (device.is_cpu()) return world;
  return make_nccl_communicator(*world, device, options);
}

}  // namespace cutrain::dist
