// `cutrain devices`: what is present and why a GPU is not; under mpirun, the
// job's rank layout (which host, local rank and device each rank would use),
// all printed once, by rank 0, so a host file or a GPU count mistake shows at once.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "commands.h"
#include "cutrain/core/device.h"
#include "cutrain/dist/communicator.h"

namespace cutrain::cli {

namespace {

// The device a rank trains on: the GPU of its local rank when there is one.
Device rank_device(int local_rank) {
  int gpus = 0;
  for (const auto& d : devices()) gpus += d.device.is_cuda() && d.available;
  return local_rank < gpus ? Device::cuda(local_rank) : Device::cpu();
}

void print_layout(dist::Communicator* world) {
  if (!world) {
    std::cout << "distributed: a world of one (start with `mpirun -np N cutrain train ... "
                 "--distributed`); MPI "
              << (dist::mpi_available() ? "built in" : "not built in") << ", NCCL "
              << (dist::nccl_available() ? "built in" : "not built in") << "\n";
    return;
  }
  constexpr int kField = 64;
  char host[kField] = {0};
  gethostname(host, kField - 1);
  const Device mine = rank_device(world->local_rank());
  std::string row = std::string(host) + "\t" + std::to_string(world->local_rank()) + "/" +
                    std::to_string(world->local_size()) + "\t" + mine.str();
  row.resize(std::min<std::size_t>(row.size(), 2 * kField - 1));
  Tensor in = Tensor::zeros({2 * kField}, DType::u8);
  std::copy(row.begin(), row.end(), in.data<uint8_t>());
  Tensor all = Tensor::zeros({world->world_size(), 2 * kField}, DType::u8);
  const Stream s = Stream::default_stream(Device::cpu());
  world->all_gather(in, all, s);
  s.synchronize();
  if (!world->is_root()) return;
  std::cout << "distributed: " << world->world_size() << " ranks (mpi; nccl for GPU tensors: "
            << (dist::nccl_available() ? "yes" : "no") << ")\nrank\thost\tlocal\tdevice\n";
  for (int r = 0; r < world->world_size(); ++r) {
    std::cout << r << "\t" << reinterpret_cast<const char*>(all.data<uint8_t>() + r * 2 * kField)
              << "\n";
  }
}

}  // namespace

Command make_devices_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("devices", "list devices and whether each can be used");
  return {cmd, [] {
            // Under mpirun every rank takes part in the layout, rank 0 prints.
            auto world = dist::launched_by_mpi() ? dist::mpi_world() : nullptr;
            if (!world || world->is_root()) {
              for (const auto& d : devices()) {
                std::cout << d.device.str() << "\t"
                          << (d.available ? "available" : "unavailable") << "\t" << d.name
                          << "\t" << d.description << "\n";
              }
              if (!cuda_available()) std::cout << "no GPU present: cutrain runs on the CPU\n";
            }
            print_layout(world.get());
            return 0;
          }};
}

}  // namespace cutrain::cli
