// The fusion pass: an Inception block's tail — per branch batch norm, ReLU,
// then the channel concat — becomes one fused Inception concat, forward and
// backward, by rewriting the step graph in place after autodiff.
//
// Pattern, for a concat along the channel axis of 2 to 4 branches where
// every branch is relu(batch_norm(x_b).y) with a gamma-free batch norm, the
// batch norm's y read only by that ReLU, and the ReLU's output read only by
// the concat and (in a training graph) by one relu_grad whose incoming
// gradient is the branch's output of one split of the concat's gradient:
//
//   forward   batch_norm_b   -> batch_norm_b with stats_only (no y written)
//             relu_b, concat -> inception_concat(x_b, invstd_b, beta_b, mean_b;
//                                                affine, center, relu)
//   backward  split, relu_grad_b -> inception_concat_grad(dc, y; relu), whose
//             output b replaces relu_grad_b's output for its readers
//
// The rewritten nodes keep their ids and output specs, so graph order stays
// topological and every Value held outside (fetches, the Model's handles)
// stays valid; the ReLU and relu_grad nodes are left without readers and
// drop out of every plan. The fused concat computes (x - mean) * invstd +
// beta exactly as the batch_norm op does, and inception_concat_grad's mask
// y > 0 is the ReLU's, so a fused step equals the unfused one bit for bit on
// the CPU. Graphs that do not match (gamma, a branch read elsewhere, nested
// concats as the outer concat of Mixed_7b/7c) are left alone.
#pragma once

#include <string>

#include "cutrain/graph/graph.h"

namespace cutrain::graph {

struct FusionReport {
  int concats = 0;    // Inception concats fused (forward)
  int branches = 0;   // batch norm + ReLU branches folded into them
  int backward = 0;   // of those, with their backward split fused too
  std::string str() const;
};

FusionReport fuse_inception_concats(Graph& g);

}  // namespace cutrain::graph
