// The data side of data-parallel training (DDP semantics; the gradient side
// is gradient_sync.h).
//
// Every rank shuffles the whole training set with the same seed and epoch,
// then takes its shard (PyTorch's DistributedSampler): the order is padded
// by repeating its first indices up to a multiple of the world size, and rank
// r takes positions r, r + N, r + 2N, ... So every rank runs the same number
// of steps (each step is a collective), the shards are disjoint up to the
// padding, and the global batch is N times the per-rank batch. Validation
// shards are not padded (no sample counts twice); epoch and validation logs
// are then averaged over the ranks weighted by the samples each rank saw, so
// every rank gets the global metrics and callbacks decide alike.
#pragma once

#include <cstdint>
#include <vector>

#include "cutrain/dist/communicator.h"
#include "cutrain/train/logs.h"

namespace cutrain::train {

// Rank `rank`'s part of `order`; `pad`: DistributedSampler's padding.
std::vector<int64_t> shard_indices(const std::vector<int64_t>& order, int rank, int world_size,
                                   bool pad);

// The average over the ranks of each rank's `logs`, weighted by `weight` (the
// samples behind them). Every rank must pass the same keys in the same order.
Logs average_logs(dist::Communicator& comm, const Logs& logs, double weight);

}  // namespace cutrain::train
