// A job in which rank 1 misbehaves after one good all-reduce: `exit` (leaves
// without a word), `hang` (never reaches the next collective), `throw` (an
// exception escapes main), or `ok`. The other ranks must end, with a message,
// within the collective timeout (fault_test.sh checks both).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "cutrain/dist/communicator.h"

int main(int argc, char** argv) {
  using namespace cutrain;
  const std::string mode = argc > 1 ? argv[1] : "ok";
  auto w = dist::mpi_world();
  Tensor t = Tensor::full({1024}, DType::f32, 1.0);
  const Stream s = Stream::create(Device::cpu());
  w->all_reduce(t, dist::ReduceOp::sum, s);
  s.synchronize();
  if (t.to_vector()[0] != w->world_size()) return 4;
  if (w->rank() == 1) {
    if (mode == "exit") std::_Exit(3);
    if (mode == "hang") {
      for (;;) pause();
    }
    if (mode == "throw") throw std::runtime_error("rank 1 fails on purpose");
  }
  w->all_reduce(t, dist::ReduceOp::sum, s);
  s.synchronize();
  std::printf("fault_probe: rank %d done\n", w->rank());
  return 0;
}
