#include "cutrain/train/gan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "cutrain/core/error.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/nn/initializer.h"

namespace cutrain::train {

ops::AdamOptions sngan_adam() {
  ops::AdamOptions o;
  o.lr = 2e-4;
  o.beta1 = 0.0;
  o.beta2 = 0.9;
  return o;
}

namespace {

std::vector<Value> adam_for(graph::Graph& g, const std::vector<Value>& params,
                            const std::vector<Value>& grads, const ops::AdamOptions& o) {
  std::vector<Value> m, v;
  for (const Value& p : params) {
    const Tensor& t = g.tensor_of(p);
    m.push_back(g.state(p.name() + "/Adam", Tensor::zeros(t.shape(), t.dtype())));
    v.push_back(g.state(p.name() + "/Adam_1", Tensor::zeros(t.shape(), t.dtype())));
  }
  return graph::adam_update(params, grads, m, v, o);
}

}  // namespace

GanGraph build_gan_graph(const nn::SnGanConfig& config, int64_t batch, DType dtype, uint64_t seed,
                         const ops::AdamOptions& g_adam, const ops::AdamOptions& d_adam) {
  CUTRAIN_CHECK(batch > 0, "build_gan_graph: batch must be positive, got ", batch);
  GanGraph gan;
  gan.config = config;
  gan.batch = batch;
  gan.model.name = "SNGAN";
  nn::ModelBuilder b(gan.model, dtype, seed);
  graph::Graph& g = b.graph();
  const int64_t s = config.image_size;
  gan.z = g.input("z", {Shape({batch, config.z_dim}), dtype});
  gan.real = g.input("real", {Shape({batch, s, s, config.channels}), dtype});
  gan.model.input = gan.real;

  gan.fake = nn::sngan_generator(b, gan.z, config);
  const size_t n_g = gan.model.params.size();
  const Value scores = nn::sngan_discriminator(b, graph::concat({gan.real, gan.fake}, 0), config);
  gan.g_params.assign(gan.model.params.begin(), gan.model.params.begin() + static_cast<long>(n_g));
  gan.d_params.assign(gan.model.params.begin() + static_cast<long>(n_g), gan.model.params.end());
  const std::vector<Value> parts = graph::split(scores, 0, {batch, batch});
  gan.d_real = parts[0];
  gan.d_fake = parts[1];
  gan.loss = nn::hinge_losses(gan.d_real, gan.d_fake);
  gan.model.add_endpoint("fake", gan.fake);
  gan.model.add_endpoint("d_real", gan.d_real);
  gan.model.add_endpoint("d_fake", gan.d_fake);

  const std::vector<Value> d_grads = graph::gradients(g, gan.loss.d_loss, gan.d_params);
  const std::vector<Value> g_grads = graph::gradients(g, gan.loss.g_loss, gan.g_params);
  gan.d_updates = adam_for(g, gan.d_params, d_grads, d_adam);
  gan.g_updates = adam_for(g, gan.g_params, g_grads, g_adam);
  return gan;
}

GanTrainer::GanTrainer(GanGraph& gan, Device device) : gan_(gan), exec_(*gan.model.graph, device) {}

void GanTrainer::set_adam_step(const std::vector<Value>& tokens, int64_t step) {
  for (const Value& t : tokens) gan_.model.graph->mutable_node(t.node).attrs.set("step", step);
}

double GanTrainer::d_step(const Tensor& real, const Tensor& z) {
  set_adam_step(gan_.d_updates, ++d_t_);
  std::vector<Value> fetches{gan_.loss.d_loss};
  fetches.insert(fetches.end(), gan_.d_updates.begin(), gan_.d_updates.end());
  return exec_.run({{gan_.real, real}, {gan_.z, z}}, fetches, {true})[0].to(Device::cpu(), exec_.stream()).item();
}

double GanTrainer::g_step(const Tensor& real, const Tensor& z) {
  set_adam_step(gan_.g_updates, ++g_t_);
  std::vector<Value> fetches{gan_.loss.g_loss};
  fetches.insert(fetches.end(), gan_.g_updates.begin(), gan_.g_updates.end());
  return exec_.run({{gan_.real, real}, {gan_.z, z}}, fetches, {true})[0].to(Device::cpu(), exec_.stream()).item();
}

Tensor GanTrainer::generate(const Tensor& z) {
  return exec_.run({{gan_.z, z}}, {gan_.fake}, {true})[0].to(Device::cpu(), exec_.stream());
}

Tensor GanTrainer::sample_z(uint64_t seed) const {
  Tensor z = Tensor::empty(gan_.z.shape(), gan_.z.dtype());
  z.normal(0.0, 1.0, seed);
  return z;
}

GanEpochStats run_gan_epoch(GanTrainer& trainer, const Tensor& images, int64_t steps, int n_dis,
                            std::mt19937_64& rng) {
  CUTRAIN_CHECK(n_dis >= 1 && steps >= 1, "run_gan_epoch: needs steps >= 1 and n_dis >= 1");
  const int64_t batch = trainer.sample_z(0).shape()[0];
  const int64_t n = images.shape()[0];
  CUTRAIN_CHECK(n >= batch, "run_gan_epoch: ", n, " images are fewer than one batch of ", batch);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  int64_t cursor = 0;
  std::vector<int64_t> bdims = images.shape().dims();
  bdims[0] = batch;
  const Shape bshape(bdims);
  const int64_t per = images.numel() / n;
  const Tensor src = images.clone();  // contiguous
  auto next_real = [&]() {
    if (cursor + batch > n) {
      std::shuffle(order.begin(), order.end(), rng);
      cursor = 0;
    }
    Tensor r = Tensor::empty(bshape, images.dtype());
    const size_t bytes = static_cast<size_t>(per) * dtype_size(images.dtype());
    auto* dst = static_cast<char*>(r.raw_data());
    const auto* s = static_cast<const char*>(src.raw_data());
    for (int64_t i = 0; i < batch; ++i)
      std::memcpy(dst + static_cast<size_t>(i) * bytes,
                  s + static_cast<size_t>(order[static_cast<size_t>(cursor + i)]) * bytes, bytes);
    cursor += batch;
    return r;
  };
  GanEpochStats st;
  int64_t d_count = 0;
  for (int64_t step = 0; step < steps; ++step) {
    for (int k = 0; k < n_dis; ++k) {
      st.d_loss += trainer.d_step(next_real(), trainer.sample_z(rng()));
      ++d_count;
    }
    st.g_loss += trainer.g_step(next_real(), trainer.sample_z(rng()));
    ++st.steps;
  }
  st.d_loss /= static_cast<double>(d_count);
  st.g_loss /= static_cast<double>(st.steps);
  return st;
}

Tensor to_signed_unit(const Tensor& u8_images, DType dtype) {
  CUTRAIN_CHECK(u8_images.dtype() == DType::u8, "to_signed_unit: expects u8 images");
  Tensor out = Tensor::empty(u8_images.shape(), DType::f32);
  const Tensor in = u8_images.clone();
  const uint8_t* p = in.data<uint8_t>();
  float* q = out.data<float>();
  for (int64_t i = 0; i < in.numel(); ++i) q[i] = static_cast<float>(p[i]) / 127.5f - 1.0f;
  return dtype == DType::f32 ? out : out.to(dtype);
}

std::vector<uint8_t> to_u8(const Tensor& images) {
  const Tensor f = images.to(Device::cpu(), Stream::default_stream(images.device())).to(DType::f64);
  const double* p = f.data<double>();
  std::vector<uint8_t> out(static_cast<size_t>(f.numel()));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(std::lround(std::clamp((p[i] + 1.0) * 127.5, 0.0, 255.0)));
  return out;
}

}  // namespace cutrain::train
