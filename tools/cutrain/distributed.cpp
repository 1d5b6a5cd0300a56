#include "distributed.h"

#include <iostream>
#include <string>

#include "cutrain/core/error.h"

namespace cutrain::cli {

namespace {

// Swallows what non-root ranks would print (every rank runs the same loop).
class NullBuffer final : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

}  // namespace

DistributedRun::DistributedRun(bool distributed, Device device) : device_(device) {
  if (!distributed) return;
  CUTRAIN_CHECK(dist::launched_by_mpi(),
                "--distributed: start the job with mpirun, e.g. `mpirun -np 2 cutrain train ... "
                "--distributed` (one process per GPU)");
  auto world = dist::mpi_world();
  if (device.is_cuda()) {
    device_ = Device::cuda(world->local_rank());
    comm_ = dist::make_nccl_communicator(*world, device_);
  } else {
    comm_ = std::move(world);
  }
  if (!comm_->is_root()) {
    static NullBuffer null;
    saved_cout_ = std::cout.rdbuf(&null);
  }
}

DistributedRun::~DistributedRun() {
  if (saved_cout_) std::cout.rdbuf(saved_cout_);
}

int run_ranked(bool distributed, const std::function<int()>& body) {
  if (!distributed || !dist::launched_by_mpi()) return body();
  int rc = 0;
  std::string why;
  try {
    rc = body();
    why = "exit code " + std::to_string(rc);
  } catch (const std::exception& e) {
    rc = 1;
    why = e.what();
  }
  if (rc != 0) dist::abort_job("cutrain train failed (" + why + "); ending every rank", rc);
  return 0;
}

}  // namespace cutrain::cli
