#include "cutrain/ops/op.h"

#include <algorithm>
#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"

namespace cutrain::ops {

std::string TensorSpec::str() const { return std::string(dtype_name(dtype)) + shape.str(); }

std::string specs_str(const std::vector<TensorSpec>& specs) {
  std::string s = "(";
  for (size_t i = 0; i < specs.size(); ++i) s += (i ? ", " : "") + specs[i].str();
  return s + ")";
}

OpRegistry& OpRegistry::global() {
  static OpRegistry* r = new OpRegistry;  // never destroyed: used during static teardown
  static std::once_flag once;
  std::call_once(once, [] { register_builtin_ops(*r); });
  return *r;
}

void OpRegistry::add(OpSchema schema) {
  CUTRAIN_CHECK(!schema.name.empty(), "registering an op without a name");
  CUTRAIN_CHECK(!ops_.count(schema.name), "op '", schema.name, "' is already registered");
  CUTRAIN_CHECK(static_cast<bool>(schema.infer), "op '", schema.name, "' has no shape inference");
  const std::string name = schema.name;
  ops_.emplace(name, std::move(schema));
}

void OpRegistry::add_kernel(const std::string& name, DeviceType device, KernelFn kernel) {
  auto it = ops_.find(name);
  CUTRAIN_CHECK(it != ops_.end(), "add_kernel: unknown op '", name, "'");
  it->second.kernels[device] = std::move(kernel);
}

void OpRegistry::set_infer(const std::string& name, InferFn infer) {
  auto it = ops_.find(name);
  CUTRAIN_CHECK(it != ops_.end(), "set_infer: unknown op '", name, "'");
  CUTRAIN_CHECK(static_cast<bool>(infer), "set_infer: op '", name, "' needs an inference");
  it->second.infer = std::move(infer);
}

const OpSchema* OpRegistry::find(const std::string& name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : &it->second;
}

const OpSchema& OpRegistry::get(const std::string& name) const {
  const OpSchema* s = find(name);
  CUTRAIN_CHECK(s != nullptr, "unknown op '", name, "' (register it with OpRegistry::global().add)");
  return *s;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> n;
  for (const auto& [k, v] : ops_) n.push_back(k);
  return n;
}

std::vector<TensorSpec> infer(const std::string& op, const Attrs& attrs,
                              const std::vector<TensorSpec>& inputs) {
  const OpSchema& s = OpRegistry::global().get(op);
  const int n = static_cast<int>(inputs.size());
  if (s.num_inputs >= 0) {
    CUTRAIN_OP_CHECK(op, n == s.num_inputs, "expects ", s.num_inputs, " inputs, got ", n, " ",
                     specs_str(inputs));
  } else {
    CUTRAIN_OP_CHECK(op, n >= s.min_inputs, "expects at least ", s.min_inputs, " inputs, got ", n);
  }
  std::vector<TensorSpec> out;
  try {
    out = s.infer(attrs, inputs);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind("op '", 0) == 0) throw;
    throw Error("op '" + op + "': " + what + " (inputs " + specs_str(inputs) + ", attrs " +
                attrs.str() + ")");
  }
  if (s.num_outputs >= 0)
    CUTRAIN_OP_CHECK(op, static_cast<int>(out.size()) == s.num_outputs, "inference returned ",
                     out.size(), " outputs, schema says ", s.num_outputs);
  return out;
}

void run_kernel(const std::string& op, const OpContext& ctx, const std::vector<Tensor>& inputs,
                const std::vector<Tensor>& outputs) {
  const OpSchema& s = OpRegistry::global().get(op);
  auto it = s.kernels.find(ctx.device.type);
  CUTRAIN_OP_CHECK(op, it != s.kernels.end(), "no kernel registered for device ", ctx.device.str());
  it->second(ctx, inputs, outputs);
}

std::vector<Tensor> call(const std::string& op, const std::vector<Tensor>& inputs,
                         const Attrs& attrs, bool training, uint64_t seed, uint64_t step) {
  std::vector<TensorSpec> in_specs;
  Device device = Device::cpu();
  for (const Tensor& t : inputs) {
    in_specs.push_back({t.shape(), t.dtype()});
    if (t.defined()) device = t.device();
  }
  const std::vector<TensorSpec> out_specs = infer(op, attrs, in_specs);
  const Stream stream = Stream::default_stream(device);
  std::vector<Tensor> outputs;
  for (const TensorSpec& spec : out_specs) outputs.push_back(Tensor::empty(spec.shape, spec.dtype, device, stream));
  const OpContext ctx{attrs, device, stream, training, seed, step, op};
  run_kernel(op, ctx, inputs, outputs);
  return outputs;
}

}  // namespace cutrain::ops
