// Data-parallel gradient averaging in the step graph (PyTorch DDP semantics).
//
// Every rank builds the same step graph; `average_gradients` inserts, after
// the backward pass and before the update, one `dist_all_reduce` node per
// bucket of gradients: buckets of about `bucket_bytes`, filled in reverse
// parameter order (the order in which backward produces them), so the first
// bucket's reduction can start while the backward pass of the layers below is
// still running on the other streams. A node's kernel packs its bucket into
// one buffer, averages it over the ranks and unpacks it. Each bucket node
// also takes the previous bucket's first output as an input it does not read:
// that chains the buckets, so every rank issues its collectives in the same
// order whatever the streams do (collectives must match rank by rank).
//
// The communicator's device is the model's: NCCL for CUDA tensors (the
// reduction is enqueued on the node's stream, and graph replay captures it),
// MPI for CPU tensors (run inline on the stream's worker thread).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cutrain/dist/communicator.h"
#include "cutrain/graph/graph.h"

namespace cutrain::train {

// PyTorch DDP's default bucket_cap_mb is 25 (MiB).
inline constexpr double kDefaultBucketBytes = 25.0 * 1024 * 1024;

// Returns `grads` averaged over the ranks of `comm`, in the same order
// (undefined values stay undefined). With a world of one, returns `grads`.
std::vector<graph::Value> average_gradients(graph::Graph& g, const std::vector<graph::Value>& grads,
                                            std::shared_ptr<dist::Communicator> comm,
                                            double bucket_bytes = kDefaultBucketBytes);

// The buckets `average_gradients` forms: indices into `grads`, in the order
// they are reduced (exposed for tests and `summary --plan`).
std::vector<std::vector<int>> gradient_buckets(const std::vector<graph::Value>& grads,
                                               double bucket_bytes);

// Makes every rank's tensors equal to rank 0's (parameters and states at the
// start of training, as DDP does at construction), in order, and waits.
void broadcast_from_root(dist::Communicator& comm, const std::vector<Tensor>& tensors);

}  // namespace cutrain::train
