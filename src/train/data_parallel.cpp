#include "cutrain/train/data_parallel.h"

#include "cutrain/core/error.h"

namespace cutrain::train {

std::vector<int64_t> shard_indices(const std::vector<int64_t>& order, int rank, int world_size,
                                   bool pad) {
  CUTRAIN_CHECK(world_size > 0 && 0 <= rank && rank < world_size, "shard_indices: rank ", rank,
                " of ", world_size);
  const auto n = static_cast<int64_t>(order.size());
  const int64_t total = pad ? (n + world_size - 1) / world_size * world_size : n;
  std::vector<int64_t> mine;
  mine.reserve(static_cast<std::size_t>(total / world_size + 1));
  // Padding wraps around (n may be smaller than the world: then repeatedly).
  for (int64_t i = rank; i < total; i += world_size) {
    mine.push_back(order[static_cast<std::size_t>(n > 0 ? i % n : 0)]);
  }
  if (n == 0) mine.clear();
  return mine;
}

Logs average_logs(dist::Communicator& comm, const Logs& logs, double weight) {
  if (comm.world_size() == 1) return logs;
  // [weight, weight * value_1, ..., weight * value_k, k]: one reduction.
  const std::vector<std::string> keys = logs.keys();
  const auto k = static_cast<int64_t>(keys.size());
  const Stream stream = Stream::default_stream(comm.device());
  Tensor sums = Tensor::empty({k + 2}, DType::f64, comm.device(), stream);
  std::vector<double> mine(static_cast<std::size_t>(k + 2));
  mine[0] = weight;
  for (int64_t i = 0; i < k; ++i) mine[static_cast<std::size_t>(i + 1)] = weight * logs.at(keys[i]);
  mine[static_cast<std::size_t>(k + 1)] = static_cast<double>(k);
  sums.copy_from(Tensor::from_vector({k + 2}, mine, DType::f64), stream);
  comm.all_reduce(sums, dist::ReduceOp::sum, stream);
  const Tensor host = sums.to(Device::cpu(), stream);
  stream.synchronize();
  const std::vector<double> total = host.to_vector();
  CUTRAIN_CHECK(total[static_cast<std::size_t>(k + 1)] == static_cast<double>(k * comm.world_size()),
                "average_logs: the ranks logged different metrics (", logs.str(), " on ",
                comm.describe(), ")");
  Logs out;
  for (int64_t i = 0; i < k; ++i) {
    out.set(keys[i], total[0] > 0 ? total[static_cast<std::size_t>(i + 1)] / total[0] : 0.0);
  }
  return out;
}

}  // namespace cutrain::train
