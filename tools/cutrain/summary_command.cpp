// `cutrain summary --model inception_v3 [--plan]`: the Keras-like layer table
// and parameter totals, and with --plan the executor's plan of one training
// step (forward, loss, backward): kernels per step, streams, critical path,
// planned vs naive activation memory, optionally as Graphviz dot.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/fusion.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/plan.h"
#include "cutrain/nn/autocast_model.h"
#include "cutrain/nn/inception_v3.h"
#include "cutrain/nn/summary.h"
#include "flag_checks.h"
#include "precision_flags.h"

namespace cutrain::cli {

using graph::Value;

namespace {

struct SummaryArgs {
  std::string model = "inception_v3";
  nn::InceptionV3Options options;
  bool no_aux = false;
  bool plan = false;
  int streams = 4;
  bool no_memory_plan = false;
  bool no_fusion = false;
  std::string dot;
  std::string precision = "fp32";
  std::string device = "cpu";  // whose 16-bit kernels the autocast pass asks for
};

int run_summary(SummaryArgs a) {
  a.options.create_aux_logits = !a.no_aux;
  a.options.initialize = false;  // shapes only: no weights are drawn
  nn::Model m = nn::inception_v3(a.options);
  std::cout << nn::summary(m);
  if (!a.plan) return 0;

  const graph::Precision precision = graph::precision_from_name(a.precision);
  const DType low = graph::precision_dtype(precision);
  // One training step: softmax cross-entropy on the logits (+ 0.4 x aux),
  // gradients of every trainable parameter.
  const auto plan_step = [&](nn::Model& model, std::string& fused) {
    graph::Graph& g = *model.graph;
    const Value labels = g.input("labels", {Shape{a.options.batch_size}, DType::i32});
    Value loss = graph::weighted_loss_reduce(graph::softmax_cross_entropy(model.logits, labels));
    if (model.aux_logits.defined())
      loss = graph::add(loss, graph::scale(graph::weighted_loss_reduce(graph::softmax_cross_entropy(model.aux_logits, labels)), 0.4));
    std::vector<Value> fetches = graph::gradients(g, loss, model.params);
    fetches.push_back(loss);
    fused = "fusion off";
    if (!a.no_fusion) fused = graph::fuse_inception_concats(g).str();
    graph::PlanOptions po;
    po.streams = a.streams > 1;
    po.max_streams = a.streams;
    po.memory_plan = !a.no_memory_plan;
    return graph::make_plan(g, fetches, po);
  };
  std::size_t fp32_bytes = 0;
  if (low != DType::f32) {
    // The fp32 plan of the same step, for the comparison below.
    nn::Model reference = nn::inception_v3(a.options);
    std::string unused;
    fp32_bytes = plan_step(reference, unused).report.planned_bytes;
    std::cout << "\n";
    const DeviceType dev = a.device == "cuda" ? DeviceType::cuda : DeviceType::cpu;
    const graph::AutocastReport report = nn::autocast_model(m, low, dev);
    print_autocast(std::cout, *m.graph, report);
  }
  graph::Graph& g = *m.graph;
  std::string fused;
  const graph::Plan plan = plan_step(m, fused);
  std::cout << "\nTraining step plan (batch " << a.options.batch_size << ", " << a.options.image_size << "x"
            << a.options.image_size << ", " << dtype_name(a.options.dtype) << ", precision "
            << graph::precision_name(precision) << "):\n"
            << fused << "\n"
            << plan.report.str() << "\n";
  if (low != DType::f32)
    std::cout << "planned intermediate memory: " << graph::precision_name(precision) << " " << plan.report.planned_bytes
              << " bytes, fp32 " << fp32_bytes << " bytes ("
              << 100.0 * static_cast<double>(plan.report.planned_bytes) / static_cast<double>(fp32_bytes)
              << " % of fp32)\n";
  if (!a.dot.empty()) {
    std::ofstream f(a.dot);
    if (!f) {
      std::cerr << "cutrain summary: cannot write " << a.dot << "\n";
      return 2;
    }
    f << graph::plan_to_dot(g, plan);
  }
  return 0;
}

}  // namespace

Command make_summary_command(CLI::App& app) {
  auto a = std::make_shared<SummaryArgs>();
  CLI::App* sub = app.add_subcommand("summary", "print a model's layers and parameter counts, and optionally its step plan");
  sub->add_option("--model", a->model, "model name")->check(CLI::IsMember({"inception_v3"}));
  sub->add_option("--num-classes", a->options.num_classes, "classes (slim checkpoints use 1001)");
  sub->add_option("--image-size", a->options.image_size, "input height and width");
  sub->add_option("--batch-size", a->options.batch_size, "batch size the graph is built for")->check(integer_in(1, 65536));
  sub->add_option("--depth-multiplier", a->options.depth_multiplier, "channel multiplier (> 0)");
  sub->add_flag("--no-aux", a->no_aux, "without the auxiliary head");
  sub->add_flag("--bn-gamma", a->options.bn_gamma, "batch norm with a scale (torchvision style)");
  sub->add_flag("--plan", a->plan, "also plan one training step and report it");
  sub->add_option("--streams", a->streams, "streams for the plan (1 = one stream)")->check(CLI::Range(1, 16));
  sub->add_flag("--no-memory-plan", a->no_memory_plan, "plan without buffer sharing (the naive plan)");
  sub->add_flag("--no-fusion", a->no_fusion, "plan without fusing batch norm + ReLU + concat");
  sub->add_option("--dot", a->dot, "write the plan as Graphviz dot to this file");
  add_precision_option(sub, a->precision);
  sub->add_option("--device", a->device, "the device whose f16/bf16 kernels --precision plans for (cpu | cuda)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  return {sub, [a] {
            try {
              return run_summary(*a);
            } catch (const Error& e) {
              std::cerr << "cutrain summary: " << e.what() << "\n";
              return 2;
            }
          }};
}

}  // namespace cutrain::cli
