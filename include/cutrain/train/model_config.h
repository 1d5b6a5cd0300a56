// A Model's config JSON (stored in every checkpoint's metadata) and
// rebuilding a compiled Model from a checkpoint alone (Keras' load_model).
//
// The config (Model::config_json) records:
//   network      the JSON the Model was constructed with (which builder, widths);
//   input        height, width, channels, num_classes, batch_size;
//   optimizer    name, initial_lr, momentum, nesterov, rho, epsilon, beta1, beta2,
//                weight_decay, rmsprop_ms_init_ones;
//   losses       per output: name (as registered), weight, label_smoothing,
//                target ("labels", "input", "tensor"), output (its name);
//   metrics, top_k, weight_decay, clip_global_norm, dtype, seed.
// Losses are code: a config names them, and rebuilding looks each name up in
// the loss registry (losses_api.h). A custom loss must be registered before
// the load; a checkpoint naming an unregistered loss does not load, and the
// error names the loss. Learning-rate schedules are code too: the rebuilt
// optimizer runs at the recorded initial rate unless a schedule is given
// (a rate set by set_learning_rate is restored from the checkpoint).
#pragma once

#include <memory>
#include <string>

#include "cutrain/train/model.h"

namespace cutrain::train {

// Throws naming `path` and the loss when the config names a loss that is not registered.
void check_config_losses_registered(const std::string& config_json, const std::string& path);

// The compile options recorded in a config; `lr` replaces the constant rate.
CompileOptions compile_options_from_config(const std::string& config_json, const std::string& path,
                                           SchedulePtr lr = nullptr);
// The input spec recorded in a config (dtype included).
NetworkSpec network_spec_from_config(const std::string& config_json, const std::string& path);
// The "network" object of a config, as JSON text.
std::string network_config_from_config(const std::string& config_json, const std::string& path);

struct LoadModelOptions {
  Device device = Device::cpu();
  SchedulePtr learning_rate;  // null: constant at the recorded initial rate
  bool weights_only = false;  // see Model::load
  bool verify = true;         // checksum and value checks (load_checkpoint)
};

// A Model built with `builder` for the recorded input spec, compiled from the
// recorded options, with the checkpoint's state loaded.
std::unique_ptr<Model> load_model(const std::string& path, NetworkBuilder builder, LoadModelOptions options = {});
std::unique_ptr<Model> load_model(const std::string& path, GraphNetworkBuilder builder,
                                  LoadModelOptions options = {});

}  // namespace cutrain::train
