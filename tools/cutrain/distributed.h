// `--distributed`: one process per device under mpirun, PyTorch DDP style.
// Each rank trains on its shard of every epoch with `--batch-size` samples per
// step (the global batch is world size x batch); rank 0 alone prints and
// writes checkpoints, CSV, TensorBoard logs and plots; a rank that fails ends
// the whole job with a message instead of leaving the others waiting.
#pragma once

#include <functional>
#include <memory>
#include <streambuf>

#include "cutrain/core/device.h"
#include "cutrain/dist/communicator.h"

namespace cutrain::cli {

class DistributedRun {
 public:
  // Not distributed: a world of one on `device`. Distributed: the MPI world,
  // NCCL on the GPU of this rank's local rank when `device` is a GPU, and
  // standard output muted on every rank but 0.
  DistributedRun(bool distributed, Device device);
  ~DistributedRun();
  DistributedRun(const DistributedRun&) = delete;
  DistributedRun& operator=(const DistributedRun&) = delete;

  bool enabled() const { return comm_ != nullptr; }
  bool root() const { return !comm_ || comm_->is_root(); }
  int world_size() const { return comm_ ? comm_->world_size() : 1; }
  Device device() const { return device_; }
  const std::shared_ptr<dist::Communicator>& communicator() const { return comm_; }

 private:
  std::shared_ptr<dist::Communicator> comm_;
  Device device_;
  std::streambuf* saved_cout_ = nullptr;
};

// Runs `body` (a command returning its exit code); in a distributed job a
// non-zero code or an exception on any rank aborts every rank with a message.
int run_ranked(bool distributed, const std::function<int()>& body);

}  // namespace cutrain::cli
