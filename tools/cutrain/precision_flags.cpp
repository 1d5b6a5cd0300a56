#include "precision_flags.h"

#include <ostream>

#include "cutrain/ops/cast.h"

namespace cutrain::cli {

CLI::Option* add_precision_option(CLI::App* c, std::string& value) {
  return c
      ->add_option("--precision", value,
                   "fp32 | tf32 (TF32 convolutions and matrix products on CUDA) | bf16 | fp16 (16-bit activations, "
                   "f32 master weights, statistics, losses and updates)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16", "fp16"}))
      ->capture_default_str();
}

std::string precision_model_error(const std::string& model, const std::string& precision) {
  if (precision == "fp32" || model == "inception_v3" || model == "small_cnn") return {};
  return "--precision " + precision + " is for inception_v3 and small_cnn; --model " + model + " trains in fp32";
}

void print_autocast(std::ostream& out, const graph::Graph& g, const graph::AutocastReport& report) {
  out << "Autocast to " << dtype_name(report.low) << ": " << report.casts << " casts (" << report.parameter_casts
      << " of parameters, once per step), " << report.fallbacks.size() << " ops in f32 for want of a "
      << dtype_name(report.low) << " kernel\n";
  for (const graph::Node& n : g.nodes()) {
    if (n.kind != graph::NodeKind::op || n.op != ops::kCastOp) continue;
    out << "  cast '" << n.name << "': " << n.input(0).spec().str() << " -> " << dtype_name(n.outputs[0].dtype)
        << "\n";
  }
  for (const std::string& f : report.fallbacks) out << "  f32 fallback: " << f << "\n";
}

}  // namespace cutrain::cli
