// cutrain eval and cutrain predict: rebuild the model from a checkpoint's
// config, restore its weights, and evaluate or predict on a data set.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "flag_checks.h"
#include "cutrain/core/error.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/image_data.h"
#include "model_setup.h"
#include "output_paths.h"

namespace cutrain::cli {

namespace {

struct EvalArgs {
  std::string checkpoint;
  std::string dataset = "fashion-mnist";
  std::string data_dir;
  std::string split = "test";
  std::string device = "auto";
  std::string output;  // predict: CSV file (default stdout)
  int64_t batch_size = 0;
  int64_t limit = 0;
  int verbose = 1;
  int threads = 0;
  bool no_verify = false;
  std::string preprocess = "resize";
  int workers = 1;
  int prefetch = 4;
};

struct Loaded {
  std::unique_ptr<train::Model> model;
  train::ImageData data;
  NetConfig net;
};

// Returns 0 and fills `out`, or the exit code of a file error.
int load_model_and_data(const EvalArgs& a, const char* what, Loaded& out) {
  if (a.threads > 0) train::set_cpu_threads(a.threads);
  train::CheckpointState st;
  DataSets ds;
  try {
    st = train::load_checkpoint(a.checkpoint, !a.no_verify);
    out.net = NetConfig::from_checkpoint_config(st.config_json, a.checkpoint);
    ds = load_datasets(a.dataset, a.data_dir, st.seed, a.split == "train" ? SplitsToLoad::train : SplitsToLoad::test);
  } catch (const std::exception& e) {
    return file_error(e);
  }
  std::shared_ptr<const data::Dataset> set = a.split == "train" ? ds.train : ds.test;
  if (!set) {
    std::cerr << "error: data set '" << a.dataset << "' has no " << a.split << " split\n";
    return 2;
  }
  if (set->size() == 0) {
    std::cerr << "error: the " << a.split << " split of data set '" << a.dataset << "' is empty: nothing to "
              << what << "\n";
    return 2;
  }
  if (ds.channels != out.net.channels || ds.num_classes != out.net.num_classes) {
    std::cerr << "error: checkpoint '" << a.checkpoint << "' expects " << out.net.channels << " channels and "
              << out.net.num_classes << " classes; data set '" << a.dataset << "' has " << ds.channels << " and "
              << ds.num_classes << "\n";
    return 2;
  }
  train::NetworkSpec spec;
  spec.batch_size = a.batch_size > 0 ? a.batch_size : out.net.batch_size;
  spec.height = spec.width = out.net.image_size;
  spec.channels = out.net.channels;
  spec.num_classes = out.net.num_classes;
  out.model = make_model(out.net, spec);
  train::CompileOptions co;
  const nlohmann::json cfg = nlohmann::json::parse(st.config_json, nullptr, false);
  if (cfg.is_object() && cfg.contains("weight_decay") && cfg["weight_decay"].is_number())
    co.weight_decay = cfg["weight_decay"].get<double>();
  // A run trained with an EMA is evaluated on its averages ("ema.*" tensors).
  if (cfg.is_object() && cfg.contains("ema_decay") && cfg["ema_decay"].is_number())
    co.ema_decay = cfg["ema_decay"].get<double>();
  co.losses = {train::LossSpec{}};
  co.device = parse_device(a.device);
  out.model->compile(co);
  try {
    out.model->load(a.checkpoint, /*weights_only=*/true, !a.no_verify);
  } catch (const std::exception& e) {
    return file_error(e);
  }
  out.data = a.preprocess == "inception"
                 ? train::inception_image_data(set, out.net.image_size, out.net.channels, false)
                 : train::resize_image_data(set, out.net.image_size, out.net.channels, false);
  return 0;
}

void add_common(CLI::App* c, EvalArgs& a) {
  c->add_option("--checkpoint", a.checkpoint, "checkpoint file written by cutrain train")->required();
  c->add_option("--dataset", a.dataset, "fashion-mnist | cifar10 | folder:PATH | synthetic")->capture_default_str();
  c->add_option("--data-dir", a.data_dir, "folder of the fashion-mnist or cifar10 files");
  c->add_option("--split", a.split, "test | train")->check(CLI::IsMember({"test", "train"}))->capture_default_str();
  c->add_option("--batch-size", a.batch_size, "samples per batch (default: the training batch)")
      ->check(integer_in(1, 65536));
  c->add_option("--device", a.device, "cpu | cuda | auto")->capture_default_str();
  c->add_option("--threads", a.threads, "CPU threads for OpenMP and OpenBLAS (0: library default)")
      ->check(threads_check());
  c->add_option("-v,--verbose", a.verbose, "0 quiet, 1 progress bar")->check(integer_in(0, 2))->capture_default_str();
  c->add_flag("--no-verify", a.no_verify,
              "load the checkpoint without checking its checksums and values (finite weights, "
              "non-negative batch-norm variances)");
  c->add_option("--preprocess", a.preprocess,
                "resize: the whole image resized; inception: slim's eval preprocessing (central crop 0.875), "
                "for models trained with train --preprocess inception")
      ->check(CLI::IsMember({"resize", "inception"}))
      ->capture_default_str();
  c->add_option("--workers", a.workers, "threads that decode and batch images ahead (0: on the calling thread)")
      ->check(integer_in(0, 256))
      ->capture_default_str();
  c->add_option("--prefetch", a.prefetch, "batches built ahead")->check(integer_in(1, 1024))->capture_default_str();
}

int run_eval(const EvalArgs& a) {
  Loaded l;
  if (int rc = load_model_and_data(a, "evaluate", l); rc != 0) return rc;
  train::EvaluateOptions eo;
  eo.batch_size = a.batch_size > 0 ? a.batch_size : l.net.batch_size;
  eo.verbose = a.verbose;
  eo.workers = a.workers;
  eo.max_queue_size = a.prefetch;
  const train::Logs logs = l.model->evaluate(l.data, eo);
  std::cout << a.dataset << " " << a.split << ": " << logs.str() << "\n";
  return 0;
}

int run_predict(const EvalArgs& a) {
  if (!a.output.empty()) {
    try {
      check_writable_file(a.output, "--output");
    } catch (const Error& e) {
      return file_error(e);
    }
  }
  Loaded l;
  if (int rc = load_model_and_data(a, "predict", l); rc != 0) return rc;
  if (a.limit > 0 && a.limit < l.data.dataset->size()) {
    // Predict on the first `limit` samples only.
    struct Head final : data::Dataset {
      std::shared_ptr<const data::Dataset> inner;
      int64_t n;
      int64_t size() const override { return n; }
      data::Sample get(int64_t i) const override { return inner->get(i); }
    };
    auto h = std::make_shared<Head>();
    h->inner = l.data.dataset;
    h->n = a.limit;
    l.data.dataset = h;
  }
  train::PredictOptions po;
  po.batch_size = a.batch_size > 0 ? a.batch_size : l.net.batch_size;
  po.verbose = a.output.empty() ? 0 : a.verbose;
  po.workers = a.workers;
  po.max_queue_size = a.prefetch;
  const Tensor logits = l.model->predict(l.data, po);
  std::ofstream file;
  if (!a.output.empty()) {
    file.open(a.output);
    if (!file) {
      std::cerr << "error: --output: cannot write '" << a.output << "': " << std::strerror(errno) << "\n";
      return 2;
    }
  }
  std::ostream& out = a.output.empty() ? std::cout : file;
  out << "index,label,predicted,probability\n";
  const int64_t n = logits.dim(0), c = logits.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    double mx = logits.at({i, 0});
    for (int64_t k = 1; k < c; ++k)
      if (logits.at({i, k}) > mx) mx = logits.at({i, k}), best = k;
    double z = 0;
    for (int64_t k = 0; k < c; ++k) z += std::exp(logits.at({i, k}) - mx);
    out << i << "," << l.data.dataset->get(i).label << "," << best << "," << 1.0 / z << "\n";
  }
  // A full disk shows only at flush or close: check both, or the CSV is silently short.
  const std::string where = a.output.empty() ? std::string("standard output") : "'" + a.output + "'";
  out.flush();
  CUTRAIN_CHECK_WRITE(out.good(), "predict: cannot write ", where, ": ", std::strerror(errno));
  if (file.is_open()) {
    file.close();
    CUTRAIN_CHECK_WRITE(!file.fail(), "predict: cannot close ", where, ": ", std::strerror(errno));
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, std::vector<Command>& commands) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* c = app.add_subcommand("eval", "evaluate a checkpoint on a data set (loss and accuracy)");
  add_common(c, *a);
  commands.push_back({c, [a] { return run_eval(*a); }});
}

void add_predict_command(CLI::App& app, std::vector<Command>& commands) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* c = app.add_subcommand("predict", "predict classes with a checkpoint; CSV index,label,predicted,probability");
  add_common(c, *a);
  c->add_option("--output", a->output, "CSV file to write (default: standard output)");
  c->add_option("--limit", a->limit, "predict only the first N samples")->check(integer_at_least(0));
  commands.push_back({c, [a] { return run_predict(*a); }});
}

}  // namespace cutrain::cli
