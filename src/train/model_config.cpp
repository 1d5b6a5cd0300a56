// Model config JSON, checkpoint saving, and load_model (model_config.h).
#include "cutrain/train/model_config.h"

#include <nlohmann/json.hpp>

#include "cutrain/core/error.h"
#include "cutrain/train/checkpoint.h"

namespace cutrain::train {

namespace {

nlohmann::json parse_config(const std::string& config_json, const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(config_json, nullptr, false);
  CUTRAIN_CHECK(!j.is_discarded() && j.is_object(), "checkpoint '", path, "': the config is not a JSON object");
  return j;
}

OptimizerKind optimizer_kind(const std::string& name, const std::string& path) {
  for (OptimizerKind k : {OptimizerKind::sgd, OptimizerKind::rmsprop, OptimizerKind::adam, OptimizerKind::adamw})
    if (optimizer_name(k) == name) return k;
  CUTRAIN_THROW("checkpoint '", path, "': unknown optimizer '", name, "'");
}

}  // namespace

void check_config_losses_registered(const std::string& config_json, const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("losses")) return;
  for (const nlohmann::json& l : j["losses"]) {
    const std::string name = l.value("name", "");
    CUTRAIN_CHECK(has_loss(name), "checkpoint '", path, "' uses the loss '", name,
                  "', which is not registered (register it with train::register_loss before loading)");
  }
}

CompileOptions compile_options_from_config(const std::string& config_json, const std::string& path,
                                           SchedulePtr lr) {
  check_config_losses_registered(config_json, path);
  const nlohmann::json j = parse_config(config_json, path);
  CompileOptions o;
  try {
    const nlohmann::json& opt = j.at("optimizer");
    OptimizerConfig& c = o.optimizer;
    c.kind = optimizer_kind(opt.at("name").get<std::string>(), path);
    c.learning_rate = lr ? std::move(lr) : constant_schedule(opt.at("initial_lr").get<double>());
    c.momentum = opt.at("momentum").get<double>();
    c.nesterov = opt.at("nesterov").get<bool>();
    c.rho = opt.at("rho").get<double>();
    c.epsilon = opt.at("epsilon").get<double>();
    c.beta1 = opt.at("beta1").get<double>();
    c.beta2 = opt.at("beta2").get<double>();
    c.weight_decay = opt.at("weight_decay").get<double>();
    c.rmsprop_ms_init_ones = opt.value("rmsprop_ms_init_ones", true);
    o.losses.clear();
    for (const nlohmann::json& l : j.at("losses")) {
      LossSpec s;
      s.name = l.at("name").get<std::string>();
      s.weight = l.at("weight").get<double>();
      s.label_smoothing = l.at("label_smoothing").get<double>();
      s.target = target_kind_from_name(l.value("target", std::string("labels")));
      o.losses.push_back(s);
    }
    o.metrics = j.at("metrics").get<std::vector<std::string>>();
    o.top_k = j.value("top_k", 5);
    if (j.contains("output_metrics"))
      o.output_metrics = j.at("output_metrics").get<std::map<std::string, std::vector<std::string>>>();
    o.weight_decay = j.at("weight_decay").get<double>();
    o.clip_global_norm = j.at("clip_global_norm").get<double>();
    o.clip_value = j.value("clip_value", 0.0);
    o.accumulate_steps = j.value("accumulate_steps", 1);
    if (j.contains("loss_scale")) {
      const nlohmann::json& ls = j.at("loss_scale");
      o.loss_scale = parse_loss_scale(ls.at("mode").get<std::string>());
      o.loss_scale.init_scale = ls.at("init_scale").get<double>();
      o.loss_scale.growth_factor = ls.at("growth_factor").get<double>();
      o.loss_scale.backoff_factor = ls.at("backoff_factor").get<double>();
      o.loss_scale.growth_interval = ls.at("growth_interval").get<int64_t>();
    } else {
      o.loss_scale.mode = LossScaleMode::off;
    }
    o.ema_decay = j.value("ema_decay", 0.0);
    o.ema_warmup = j.value("ema_warmup", true);
    o.dtype = dtype_from_name(j.at("dtype").get<std::string>());
    o.seed = j.at("seed").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    CUTRAIN_THROW("checkpoint '", path, "': incomplete compile config (", e.what(), ")");
  }
  return o;
}

NetworkSpec network_spec_from_config(const std::string& config_json, const std::string& path) {
  const nlohmann::json j = parse_config(config_json, path);
  NetworkSpec s;
  try {
    const nlohmann::json& in = j.at("input");
    s.height = in.at("height").get<int>();
    s.width = in.at("width").get<int>();
    s.channels = in.at("channels").get<int>();
    s.num_classes = in.at("num_classes").get<int>();
    s.batch_size = in.at("batch_size").get<int64_t>();
    s.dtype = dtype_from_name(j.at("dtype").get<std::string>());
    s.seed = j.at("seed").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    CUTRAIN_THROW("checkpoint '", path, "': incomplete input config (", e.what(), ")");
  }
  return s;
}

std::string network_config_from_config(const std::string& config_json, const std::string& path) {
  const nlohmann::json j = parse_config(config_json, path);
  if (!j.contains("network")) return "{}";
  return j["network"].is_string() ? j["network"].get<std::string>() : j["network"].dump();
}

namespace {
template <typename Builder>
std::unique_ptr<Model> load_with(const std::string& path, Builder builder, LoadModelOptions options) {
  const CheckpointState st = load_checkpoint(path, options.verify);
  CompileOptions co = compile_options_from_config(st.config_json, path, options.learning_rate);
  co.device = options.device;
  auto m = std::make_unique<Model>(std::move(builder), network_spec_from_config(st.config_json, path),
                                   network_config_from_config(st.config_json, path));
  m->compile(std::move(co));
  m->load(path, options.weights_only, options.verify);
  return m;
}
}  // namespace

std::unique_ptr<Model> load_model(const std::string& path, NetworkBuilder builder, LoadModelOptions options) {
  return load_with(path, std::move(builder), std::move(options));
}

std::unique_ptr<Model> load_model(const std::string& path, GraphNetworkBuilder builder,
                                  LoadModelOptions options) {
  return load_with(path, std::move(builder), std::move(options));
}

std::string Model::config_json() const {
  nlohmann::json j;
  j["network"] = nlohmann::json::parse(config_json_, nullptr, false);
  if (j["network"].is_discarded()) j["network"] = config_json_;
  j["input"] = {{"height", spec_.height}, {"width", spec_.width}, {"channels", spec_.channels},
                {"num_classes", spec_.num_classes}, {"batch_size", spec_.batch_size}};
  const OptimizerConfig& o = options_.optimizer;
  j["optimizer"] = {{"name", optimizer_name(o.kind)}, {"initial_lr", o.initial_lr()}, {"momentum", o.momentum},
                    {"nesterov", o.nesterov}, {"rho", o.rho}, {"epsilon", o.epsilon},
                    {"beta1", o.beta1}, {"beta2", o.beta2}, {"weight_decay", o.weight_decay},
                    {"rmsprop_ms_init_ones", o.rmsprop_ms_init_ones}};
  nlohmann::json losses = nlohmann::json::array();
  for (size_t i = 0; i < options_.losses.size(); ++i) {
    const LossSpec& l = options_.losses[i];
    nlohmann::json e = {{"name", l.name},
                        {"weight", l.weight},
                        {"label_smoothing", l.label_smoothing},
                        {"target", target_kind_name(l.target)}};
    if (i < output_names_.size()) e["output"] = output_names_[i];
    losses.push_back(e);
  }
  j["losses"] = losses;
  j["metrics"] = options_.metrics;
  j["top_k"] = options_.top_k;
  if (!options_.output_metrics.empty()) j["output_metrics"] = options_.output_metrics;
  j["weight_decay"] = options_.weight_decay;
  j["clip_global_norm"] = options_.clip_global_norm;
  // Only when set, so that a checkpoint without them keeps its bytes.
  if (options_.clip_value > 0) j["clip_value"] = options_.clip_value;
  if (options_.accumulate_steps > 1) j["accumulate_steps"] = options_.accumulate_steps;
  if (options_.loss_scale.enabled()) {
    const LossScaleOptions& ls = options_.loss_scale;
    j["loss_scale"] = {{"mode", loss_scale_name(ls)}, {"init_scale", ls.init_scale},
                       {"growth_factor", ls.growth_factor}, {"backoff_factor", ls.backoff_factor},
                       {"growth_interval", ls.growth_interval}};
  }
  j["ema_decay"] = options_.ema_decay;
  j["ema_warmup"] = options_.ema_warmup;
  j["dtype"] = std::string(dtype_name(options_.dtype));
  j["seed"] = options_.seed;
  return j.dump();
}

void Model::save(const std::string& path, bool weights_only) {
  CUTRAIN_CHECK(!leaves_.empty(), "save: the model has not been built yet (train or evaluate first)");
  CUTRAIN_CHECK(!ema_swap_.swapped(), "save: the averaged weights are swapped in (evaluation running)");
  CheckpointState st;
  auto put = [&](io::TensorMap& m, const std::string& graph_name, const std::string& prefix) {
    const std::string key = prefix + checkpoint_name(graph_name);
    CUTRAIN_CHECK(m.emplace(key, leaves_.at(graph_name).to(Device::cpu(), stream())).second, "two leaves map to '",
                  key, "' (", graph_name, ")");
  };
  for (const auto* names : {&param_names_, &state_names_, &ema_names_})
    for (const std::string& n : *names) put(st.weights, n, "");
  if (!weights_only) {
    for (const std::string& n : slot_names_) put(st.optimizer, n, "optimizer.");
    // Where the accumulation stands, so a resume mid-way continues it.
    if (options_.accumulate_steps > 1)
      st.optimizer.emplace(kMicroStepTensor, Tensor::full(Shape{}, DType::f64, static_cast<double>(micro_step_)));
  }
  st.step = step_;
  st.epoch = last_epoch_;
  st.seed = options_.seed;
  st.weights_only = weights_only;
  st.lr_override = lr_override_;
  st.optimizer_name = optimizer_name(options_.optimizer.kind);
  st.config_json = config_json();
  st.schedule_steps = options_.schedule_steps;
  save_checkpoint(path, st);
}

}  // namespace cutrain::train
