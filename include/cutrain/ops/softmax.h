// Softmax and log-softmax over the last axis.
//
//   softmax(x)                   -> y
//   log_softmax(x)               -> y
//   softmax_grad(dy, y)          -> dx = y * (dy - sum_last(dy * y))
//   log_softmax_grad(dy, y)      -> dx = dy - exp(y) * sum_last(dy)
//
// Both forward ops save their output y for the backward. The grad ops have
// backward rules too (built from elementwise ops, sum and the grad ops
// themselves), so second derivatives work.
//
// Graph builders: graph/ops/softmax.h; backward rules: src/graph/grads/softmax_grad.cpp.
#pragma once
