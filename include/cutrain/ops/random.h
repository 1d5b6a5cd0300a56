// Random ops.
//
//   random_normal()  attrs shape (ints), dtype ("f32"/"f64"), mean (0), stddev (1)
//                    -> a fresh N(mean, stddev^2) sample of that shape
//
// No inputs and no gradient: a sample is a constant of its step (the VAE's
// reparameterisation z = mu + exp(logvar / 2) * eps differentiates through
// mu and logvar, never through eps). The numbers come from Philox keyed by
// the node's seed (graph seed mixed with node id) with the executor step in
// the high counter word, like dropout: the same (graph seed, node, step) gives
// the same sample on every backend, and every training step a new one. The
// exact rule is in cutrain/cpu/random.h. It samples in evaluation too
// (training has no effect), as Keras' random ops do.
//
// Graph builders: graph/ops/random.h (no backward rules).
#pragma once
