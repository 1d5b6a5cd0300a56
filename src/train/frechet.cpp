#include "cutrain/train/frechet.h"

#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>

#include "cutrain/core/error.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/nn/sngan.h"

namespace cutrain::train {

using graph::Value;

GaussianStats gaussian_stats(const Tensor& features) {
  CUTRAIN_CHECK(features.shape().rank() == 2 && features.shape()[0] >= 2,
                "gaussian_stats: expects [N >= 2, dim] features, got ", features.shape().str());
  const Tensor f = features.to(Device::cpu(), Stream::default_stream(features.device())).to(DType::f64);
  const double* x = f.data<double>();
  GaussianStats s;
  s.count = f.shape()[0];
  s.dim = f.shape()[1];
  const auto n = static_cast<size_t>(s.count), d = static_cast<size_t>(s.dim);
  s.mean.assign(d, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) s.mean[j] += x[i * d + j];
  for (double& m : s.mean) m /= static_cast<double>(n);
  s.cov.assign(d * d, 0.0);
  std::vector<double> c(d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) c[j] = x[i * d + j] - s.mean[j];
    for (size_t a = 0; a < d; ++a)
      for (size_t b = a; b < d; ++b) s.cov[a * d + b] += c[a] * c[b];
  }
  for (size_t a = 0; a < d; ++a)
    for (size_t b = a; b < d; ++b) {
      s.cov[a * d + b] /= static_cast<double>(n - 1);
      s.cov[b * d + a] = s.cov[a * d + b];
    }
  return s;
}

namespace {

// Eigen-decomposition of symmetric m [d, d] (row-major): m = V diag(w) V^T.
void symmetric_eigen(std::vector<double> m, size_t d, std::vector<double>& w, std::vector<double>& v) {
  w.assign(d, 0.0);
  const lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', static_cast<lapack_int>(d), m.data(),
                                        static_cast<lapack_int>(d), w.data());
  CUTRAIN_CHECK(info == 0, "frechet_distance: LAPACKE_dsyev failed (info ", info, ")");
  v = std::move(m);  // column k of v is the eigenvector of w[k]
}

// Symmetric square root of a PSD matrix (negative round-off eigenvalues -> 0).
std::vector<double> sqrt_psd(const std::vector<double>& m, size_t d) {
  std::vector<double> w, v;
  symmetric_eigen(m, d, w, v);
  std::vector<double> r(d * d, 0.0);
  for (size_t k = 0; k < d; ++k) {
    const double s = std::sqrt(std::max(w[k], 0.0));
    if (s == 0.0) continue;
    for (size_t a = 0; a < d; ++a) {
      const double va = v[a * d + k] * s;
      for (size_t b = 0; b < d; ++b) r[a * d + b] += va * v[b * d + k];
    }
  }
  return r;
}

std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, size_t d) {
  std::vector<double> c(d * d, 0.0);
  for (size_t i = 0; i < d; ++i)
    for (size_t k = 0; k < d; ++k) {
      const double aik = a[i * d + k];
      for (size_t j = 0; j < d; ++j) c[i * d + j] += aik * b[k * d + j];
    }
  return c;
}

}  // namespace

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  CUTRAIN_CHECK(a.dim == b.dim && a.dim > 0, "frechet_distance: dims differ (", a.dim, " vs ", b.dim, ")");
  const auto d = static_cast<size_t>(a.dim);
  CUTRAIN_CHECK(a.mean.size() == d && b.mean.size() == d && a.cov.size() == d * d && b.cov.size() == d * d,
                "frechet_distance: malformed statistics");
  double mean_term = 0.0;
  for (size_t i = 0; i < d; ++i) mean_term += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]);
  const std::vector<double> s1 = sqrt_psd(a.cov, d);
  std::vector<double> m = matmul(matmul(s1, b.cov, d), s1, d);
  for (size_t i = 0; i < d; ++i)
    for (size_t j = i + 1; j < d; ++j) m[i * d + j] = m[j * d + i] = 0.5 * (m[i * d + j] + m[j * d + i]);
  std::vector<double> w, v;
  symmetric_eigen(std::move(m), d, w, v);
  double tr_sqrt = 0.0, tr = 0.0;
  for (double e : w) tr_sqrt += std::sqrt(std::max(e, 0.0));
  for (size_t i = 0; i < d; ++i) tr += a.cov[i * d + i] + b.cov[i * d + i];
  return mean_term + tr - 2.0 * tr_sqrt;
}

// ---- the feature classifier --------------------------------------------------

struct FeatureExtractor::Impl {
  nn::Model model;
  nn::FeatureNet net;
  Value labels, loss;
  std::vector<Value> updates;
  std::unique_ptr<graph::Executor> exec;
  int64_t batch = 0;
};

namespace {

// Rows [begin, begin + batch) of x (wrapping around), contiguous.
Tensor take_rows(const Tensor& x, const std::vector<int64_t>& idx, int64_t begin, int64_t batch) {
  std::vector<int64_t> dims = x.shape().dims();
  dims[0] = batch;
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  const size_t row = static_cast<size_t>(x.numel() / x.shape()[0]) * dtype_size(x.dtype());
  const auto* src = static_cast<const char*>(x.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  const auto n = static_cast<int64_t>(idx.size());
  for (int64_t i = 0; i < batch; ++i)
    std::memcpy(dst + static_cast<size_t>(i) * row,
                src + static_cast<size_t>(idx[static_cast<size_t>((begin + i) % n)]) * row, row);
  return out;
}

std::vector<int64_t> iota_n(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

Tensor u8_to_signed(const Tensor& u8) {
  const Tensor in = u8.clone();
  Tensor out = Tensor::empty(in.shape(), DType::f32);
  const uint8_t* p = in.data<uint8_t>();
  float* q = out.data<float>();
  for (int64_t i = 0; i < in.numel(); ++i) q[i] = static_cast<float>(p[i]) / 127.5f - 1.0f;
  return out;
}

}  // namespace

FeatureExtractor::FeatureExtractor(const data::LabeledImages& train, const data::LabeledImages& test,
                                   const FeatureExtractorOptions& o, Device device)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.batch = o.batch;
  m.model.name = "FeatureNet";
  nn::ModelBuilder b(m.model, DType::f32, o.seed);
  graph::Graph& g = b.graph();
  const Shape img = train.images.shape();
  m.model.input = g.input("images", {Shape({o.batch, img[1], img[2], img[3]}), DType::f32});
  m.labels = g.input("labels", {Shape({o.batch}), DType::i32});
  m.net = nn::feature_classifier(b, m.model.input);
  m.loss = graph::weighted_loss_reduce(graph::softmax_cross_entropy(m.net.logits, m.labels));
  const std::vector<Value> grads = graph::gradients(g, m.loss, m.model.params);
  std::vector<Value> s1, s2;
  for (const Value& p : m.model.params) {
    s1.push_back(g.state(p.name() + "/Adam", Tensor::zeros(p.shape(), p.dtype())));
    s2.push_back(g.state(p.name() + "/Adam_1", Tensor::zeros(p.shape(), p.dtype())));
  }
  ops::AdamOptions adam;
  adam.lr = o.lr;
  m.updates = graph::adam_update(m.model.params, grads, s1, s2, adam);

  if (!o.cache_path.empty() && std::filesystem::exists(o.cache_path)) {
    const io::SafetensorsContents c = io::load_safetensors(o.cache_path);
    for (const Value& p : m.model.params) {
      auto it = c.tensors.find(p.name());
      CUTRAIN_CHECK(it != c.tensors.end(), "feature classifier cache '", o.cache_path, "' lacks '",
                    p.name(), "'");
      g.mutable_node(p.node).tensor.copy_from(it->second, Stream::default_stream(Device::cpu()));  // before the executor
    }
    loaded_ = true;
  }
  m.exec = std::make_unique<graph::Executor>(g, device);

  const Tensor train_x = u8_to_signed(train.images), test_x = u8_to_signed(test.images);
  if (!loaded_) {
    std::mt19937_64 rng(o.seed);
    std::vector<int64_t> order = iota_n(train_x.shape()[0]);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<Value> fetches{m.loss};
    fetches.insert(fetches.end(), m.updates.begin(), m.updates.end());
    double running = 0;
    for (int64_t step = 0; step < o.train_steps; ++step) {
      for (const Value& t : m.updates) g.mutable_node(t.node).attrs.set("step", step + 1);
      const int64_t begin = step * o.batch;
      const Tensor x = take_rows(train_x, order, begin, o.batch);
      const Tensor y = take_rows(train.labels, order, begin, o.batch);
      running += m.exec->run({{m.model.input, x}, {m.labels, y}}, fetches, {true})[0]
                     .to(Device::cpu(), m.exec->stream())
                     .item();
      if (o.verbose && (step + 1) % 100 == 0) {
        std::printf("feature classifier: step %lld/%lld loss %.4f\n", static_cast<long long>(step + 1),
                    static_cast<long long>(o.train_steps), running / 100.0);
        std::fflush(stdout);
        running = 0;
      }
    }
    if (!o.cache_path.empty()) {
      m.exec->sync_leaves_to_graph();
      io::TensorMap tensors;
      for (const Value& p : m.model.params) tensors[p.name()] = g.tensor_of(p).clone();
      io::save_safetensors(o.cache_path, tensors, {{"model", "cutrain FeatureNet (Fashion-MNIST)"}});
    }
  }
  // Test accuracy over whole batches.
  const int64_t n_test = test_x.shape()[0] / o.batch * o.batch;
  const std::vector<int64_t> all = iota_n(test_x.shape()[0]);
  int64_t correct = 0;
  for (int64_t begin = 0; begin < n_test; begin += o.batch) {
    const Tensor logits = m.exec->run({{m.model.input, take_rows(test_x, all, begin, o.batch)}},
                                      {m.net.logits}, {false})[0]
                              .to(Device::cpu(), m.exec->stream())
                              .to(DType::f64);
    const double* l = logits.data<double>();
    const int64_t c = logits.shape()[1];
    for (int64_t i = 0; i < o.batch; ++i) {
      const int64_t pred = std::max_element(l + i * c, l + (i + 1) * c) - (l + i * c);
      correct += pred == static_cast<int64_t>(test.labels.flat(begin + i));
    }
  }
  test_accuracy_ = static_cast<double>(correct) / static_cast<double>(n_test);
}

FeatureExtractor::~FeatureExtractor() = default;

Tensor FeatureExtractor::features(const Tensor& images) {
  Impl& m = *impl_;
  const int64_t n = images.shape()[0];
  const Tensor x = images.to(Device::cpu(), Stream::default_stream(images.device())).to(DType::f32).clone();
  const std::vector<int64_t> all = iota_n(n);
  const int64_t dim = m.net.features.shape()[1];
  Tensor out = Tensor::empty(Shape({n, dim}), DType::f64);
  double* q = out.data<double>();
  for (int64_t begin = 0; begin < n; begin += m.batch) {
    // The last partial batch wraps around; only its first rows are kept.
    const Tensor f = m.exec->run({{m.model.input, take_rows(x, all, begin, m.batch)}}, {m.net.features},
                                 {false})[0]
                         .to(Device::cpu(), m.exec->stream())
                         .to(DType::f64);
    const int64_t rows = std::min(m.batch, n - begin);
    std::memcpy(q + begin * dim, f.data<double>(), static_cast<size_t>(rows * dim) * sizeof(double));
  }
  return out;
}

}  // namespace cutrain::train
