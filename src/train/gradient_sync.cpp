#include "cutrain/train/gradient_sync.h"

#include <cstring>
#include <map>
#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/ops/op.h"

namespace cutrain::train {

namespace {

constexpr const char* kOp = "dist_all_reduce";

// Ops carry attributes, not objects: the node names its communicator by a
// process-wide id. Entries live until exit: a recorded step (graph replay)
// may run its nodes after the model that built them is gone, and a job has
// one or two communicators.
class CommunicatorTable {
 public:
  static CommunicatorTable& get() {
    static CommunicatorTable table;
    return table;
  }
  int64_t add(std::shared_ptr<dist::Communicator> comm) {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, c] : comms_) {
      if (c == comm) return id;
    }
    comms_[next_] = std::move(comm);
    return next_++;
  }
  dist::Communicator& at(int64_t id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto it = comms_.find(id);
    CUTRAIN_CHECK(it != comms_.end(), "op '", kOp, "': no communicator with id ", id);
    return *it->second;
  }

 private:
  std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<dist::Communicator>> comms_;
  int64_t next_ = 0;
};

// Inputs: [chain token (ignored), g_1, ..., g_k] when attr "chained", else
// [g_1, ..., g_k]; outputs: the k averaged gradients.
int first_gradient(const ops::Attrs& a) { return a.b("chained") ? 1 : 0; }

// Packs the bucket into one buffer, averages it, unpacks; `copy` moves
// bytes in stream order on the bucket's device.
void reduce_bucket(const ops::OpContext& ctx, const std::vector<Tensor>& in,
                   const std::vector<Tensor>& out, const Stream& stream,
                   const std::function<void(const Tensor& dst, const Tensor& src)>& copy) {
  dist::Communicator& comm = CommunicatorTable::get().at(ctx.attrs.i("communicator"));
  const int first = first_gradient(ctx.attrs);
  int64_t total = 0;
  for (std::size_t i = first; i < in.size(); ++i) total += in[i].numel();
  const DType dtype = out.at(0).dtype();
  Tensor flat = Tensor::empty({total}, dtype, ctx.device, stream);
  int64_t offset = 0;
  for (std::size_t i = first; i < in.size(); ++i) {
    const int64_t n = in[i].numel();
    copy(flat.slice(0, offset, offset + n), in[i].reshape({n}));
    offset += n;
  }
  comm.all_reduce(flat, dist::ReduceOp::average, stream);
  offset = 0;
  for (const Tensor& o : out) {
    const int64_t n = o.numel();
    copy(o.reshape({n}), flat.slice(0, offset, offset + n));
    offset += n;
  }
}

void register_op() {
  static std::once_flag once;
  std::call_once(once, [] {
    ops::OpSchema s;
    s.name = kOp;
    s.num_inputs = -1;
    s.min_inputs = 1;
    s.num_outputs = -1;
    s.doc = "averages a bucket of gradients over the ranks of a communicator (data parallel)";
    s.communication = true;  // its own stream: overlaps the rest of the backward pass
    s.infer = [](const ops::Attrs& a, const std::vector<ops::TensorSpec>& in) {
      const int first = first_gradient(a);
      CUTRAIN_CHECK(static_cast<int>(in.size()) > first, "no gradients in the bucket");
      std::vector<ops::TensorSpec> out(in.begin() + first, in.end());
      for (const ops::TensorSpec& t : out) {
        CUTRAIN_CHECK(t.dtype == out[0].dtype, "bucket mixes ", dtype_name(out[0].dtype), " and ",
                      dtype_name(t.dtype), " gradients");
      }
      return out;
    };
    // The CPU kernel runs on the stream's worker thread: it copies with
    // memcpy and reduces through the inline default stream, so the bucket is
    // averaged when the node completes.
    s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
        [](const ops::OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
          reduce_bucket(ctx, in, out, Stream::default_stream(Device::cpu()),
                        [](const Tensor& dst, const Tensor& src) {
                          std::memcpy(dst.raw_data(), src.raw_data(), src.nbytes());
                        });
        });
    // On a GPU every step is enqueued on the node's stream.
    s.kernels[DeviceType::cuda] = [](const ops::OpContext& ctx, const std::vector<Tensor>& in,
                                     const std::vector<Tensor>& out) {
      reduce_bucket(ctx, in, out, ctx.stream, [&ctx](const Tensor& dst, const Tensor& src) {
        Tensor d = dst;
        d.copy_from(src, ctx.stream);
      });
    };
    ops::OpRegistry::global().add(std::move(s));
  });
}

}  // namespace

std::vector<std::vector<int>> gradient_buckets(const std::vector<graph::Value>& grads,
                                               double bucket_bytes) {
  CUTRAIN_CHECK(bucket_bytes > 0, "gradient bucket size must be positive, got ", bucket_bytes);
  // One open bucket per dtype: a bucket is reduced as one buffer.
  std::vector<std::vector<int>> done;
  std::map<DType, std::pair<std::vector<int>, double>> open;
  for (int i = static_cast<int>(grads.size()) - 1; i >= 0; --i) {
    if (!grads[i].defined()) continue;
    auto& [members, bytes] = open[grads[i].dtype()];
    members.push_back(i);
    bytes += static_cast<double>(grads[i].shape().numel()) * dtype_size(grads[i].dtype());
    if (bytes >= bucket_bytes) {
      done.push_back(std::move(members));
      members.clear();
      bytes = 0;
    }
  }
  for (auto& [dtype, bucket] : open) {
    if (!bucket.first.empty()) done.push_back(std::move(bucket.first));
  }
  return done;
}

std::vector<graph::Value> average_gradients(graph::Graph& g, const std::vector<graph::Value>& grads,
                                            std::shared_ptr<dist::Communicator> comm,
                                            double bucket_bytes) {
  CUTRAIN_CHECK(comm != nullptr, "average_gradients: no communicator");
  if (comm->world_size() == 1) return grads;
  register_op();
  const int64_t id = CommunicatorTable::get().add(comm);
  std::vector<graph::Value> averaged = grads;
  graph::Value chain;
  int b = 0;
  for (const std::vector<int>& bucket : gradient_buckets(grads, bucket_bytes)) {
    std::vector<graph::Value> in;
    if (chain.defined()) in.push_back(chain);
    for (int i : bucket) in.push_back(grads[static_cast<std::size_t>(i)]);
    const std::vector<graph::Value> out =
        g.apply(kOp, in, {{"communicator", id}, {"chained", chain.defined()}},
                "dist/bucket_" + std::to_string(b++));
    for (std::size_t k = 0; k < bucket.size(); ++k) averaged[bucket[k]] = out[k];
    chain = out.front();
  }
  return averaged;
}

void broadcast_from_root(dist::Communicator& comm, const std::vector<Tensor>& tensors) {
  if (comm.world_size() == 1) return;
  const Stream stream = Stream::default_stream(comm.device());
  for (const Tensor& t : tensors) comm.broadcast(t, 0, stream);
  stream.synchronize();
}

}  // namespace cutrain::train
