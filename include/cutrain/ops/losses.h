// Loss ops. Every loss returns one value per sample
// ([N], N = the first dimension); weighting and reduction to a scalar are the
// separate op weighted_loss_reduce, so a custom loss only has to produce [N].
//
// softmax_cross_entropy(logits [N, C], labels) attrs label_smoothing (0):
//   labels are class ids (i32/i64 [N]) or one-hot/probabilities (float [N, C]);
//   targets t = (1 - s) * onehot + s / C; loss_i = -sum_c t_ic log softmax(x_i)_c.
//   Backward: the fused op softmax_cross_entropy_grad(dloss, logits, labels).
// sigmoid_binary_cross_entropy(logits, targets) attrs label_smoothing (0),
//   sum_features (false): elementwise max(x, 0) - x t + log(1 + exp(-|x|)) with
//   t = (1 - s) * targets + s / 2, then the MEAN over the non-batch elements of
//   each sample (Keras' binary_crossentropy), or their sum with sum_features.
//   Backward: sigmoid_binary_cross_entropy_grad(dloss, logits, targets).
// mean_squared_error(pred, target): mean over the non-batch elements of
//   (pred - target)^2. Both inputs get gradients.
// gaussian_kl(mu, logvar): -0.5 * sum over the non-batch elements of
//   (1 + logvar - mu^2 - exp(logvar)), the KL term of a VAE.
// weighted_loss_reduce(per_sample [N], [weights [N]]) attr mode:
//   "sum_over_batch_size" (default, Keras: sum_i l_i w_i / N), "mean_weighted"
//   (sum_i l_i w_i / sum_i w_i, 0 when the weights sum to 0), "sum". Output has
//   shape [] (rank 0). Gradient w.r.t. per_sample only.
// Labels, targets of the cross-entropies and weights never get gradients.
//
// Graph builders: graph/ops/losses.h; backward rules: src/graph/grads/losses_grad.cpp.
#pragma once
