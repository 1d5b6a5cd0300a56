// What train, eval and predict share: the network config (stored in each
// checkpoint, so eval/predict rebuild the model from the file alone), the
// data sets by name, and a Model built from both.
#pragma once

#include <memory>
#include <string>

#include "cutrain/data/dataset.h"
#include "cutrain/train/fine_tune.h"
#include "cutrain/train/model.h"

namespace cutrain::cli {

struct NetConfig {
  std::string model = "small_cnn";  // small_cnn | inception_v3
  int image_size = 28;
  int channels = 1;
  int num_classes = 10;
  double depth_multiplier = 1.0;
  bool aux_logits = false;
  // Batch-norm moving-average decay (slim: 0.9997). Short runs need a faster
  // one: with 0.9997 the statistics are still 85 % their initial values after
  // 550 steps, and evaluation (which uses them) fails.
  double bn_decay = 0.99;
  int64_t batch_size = 32;
  // torchvision's Inception V3 (gamma in batch norm, 3x3 average pools that
  // count padding): the architecture converted torchvision weights need.
  bool torchvision = false;

  std::string to_json() const;
  // Reads the "network" object of a checkpoint's config JSON.
  static NetConfig from_checkpoint_config(const std::string& config_json, const std::string& path);
};

// The Model for a config (Inception V3 through nn::inception_v3; its
// graph-owning builder is adapted to train::Network here). A non-empty
// `freeze` regex freezes the matching parameters (train/fine_tune.h);
// `freeze_report` receives what the last built graph froze.
std::unique_ptr<train::Model> make_model(const NetConfig& c, const train::NetworkSpec& spec,
                                         const std::string& freeze = {},
                                         std::shared_ptr<train::FreezeReport> freeze_report = nullptr);

// "fashion-mnist", "cifar10", "folder:PATH", "synthetic". `data_dir`
// overrides the default folder of fashion-mnist/cifar10. Throws
// cutrain::Error naming the missing or damaged file.
struct DataSets {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> test;  // null when the set has no test split
  int channels = 1;
  int num_classes = 10;
  int native_size = 28;
};
// `splits`: which of train/test to read (eval --split test must not fail on
// damaged train files); the other stays null.
enum class SplitsToLoad { both, train, test };
DataSets load_datasets(const std::string& name, const std::string& data_dir, uint64_t seed,
                       SplitsToLoad splits = SplitsToLoad::both);

// "cpu", "cuda", "auto" (cuda when a GPU is usable).
Device parse_device(const std::string& s);

// Turns an exception from loading files into the CLI's exit code 2 with the message.
int file_error(const std::exception& e);

}  // namespace cutrain::cli
