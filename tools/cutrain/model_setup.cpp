#include "model_setup.h"

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cutrain/core/error.h"
#include "cutrain/data/cifar10.h"
#include "cutrain/data/idx.h"
#include "cutrain/data/image_folder.h"
#include "cutrain/nn/small_cnn.h"
#if __has_include("cutrain/nn/inception_v3.h")
#include "cutrain/nn/inception_v3.h"
#define CUTRAIN_HAVE_NN_INCEPTION 1
#endif

namespace cutrain::cli {

std::string NetConfig::to_json() const {
  nlohmann::json j{{"model", model},       {"image_size", image_size},
                   {"channels", channels}, {"num_classes", num_classes},
                   {"depth_multiplier", depth_multiplier}, {"aux_logits", aux_logits},
                   {"bn_decay", bn_decay},          {"batch_size", batch_size},
                   {"torchvision", torchvision}};
  return j.dump();
}

NetConfig NetConfig::from_checkpoint_config(const std::string& config_json, const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(config_json, nullptr, false);
  CUTRAIN_CHECK(!j.is_discarded() && j.contains("network") && j["network"].is_object(), "checkpoint '",
                path, "' has no network config in its metadata");
  const auto& n = j["network"];
  NetConfig c;
  try {
    c.model = n.at("model").get<std::string>();
    c.image_size = n.at("image_size").get<int>();
    c.channels = n.at("channels").get<int>();
    c.num_classes = n.at("num_classes").get<int>();
    c.depth_multiplier = n.at("depth_multiplier").get<double>();
    c.aux_logits = n.at("aux_logits").get<bool>();
    c.batch_size = n.at("batch_size").get<int64_t>();
    c.bn_decay = n.value("bn_decay", c.bn_decay);
    c.torchvision = n.value("torchvision", c.torchvision);
  } catch (const nlohmann::json::exception& e) {
    throw Error("checkpoint '" + path + "': bad network config: " + e.what());
  }
  return c;
}

std::unique_ptr<train::Model> make_model(const NetConfig& c, const train::NetworkSpec& spec,
                                         const std::string& freeze,
                                         std::shared_ptr<train::FreezeReport> freeze_report) {
  CUTRAIN_CHECK(!c.torchvision || c.model == "inception_v3", "--torchvision needs --model inception_v3, got ",
                c.model);
  if (c.model == "small_cnn") {
    train::NetworkBuilder b = nn::small_cnn_builder({{16, 32, 64}, c.bn_decay});
    if (!freeze.empty()) b = train::freeze_builder(std::move(b), freeze, freeze_report);
    return std::make_unique<train::Model>(std::move(b), spec, c.to_json());
  }
  if (c.model == "inception_v3") {
#ifdef CUTRAIN_HAVE_NN_INCEPTION
    train::GraphNetworkBuilder b = [c](const train::NetworkSpec& s) {
      nn::InceptionV3Options o;
      o.num_classes = s.num_classes;
      o.image_size = s.height;
      o.channels = s.channels;
      o.batch_size = s.batch_size;
      o.depth_multiplier = c.depth_multiplier;
      o.create_aux_logits = c.aux_logits;
      o.bn_gamma = o.torchvision_pools = c.torchvision;
      o.seed = s.seed;
      o.dtype = s.dtype;
      nn::Model m = nn::inception_v3(o);
      train::OwnedNetwork out;
      out.network.input = m.input;
      out.network.outputs.push_back(m.logits);
      if (c.aux_logits) out.network.outputs.push_back(m.aux_logits);
      out.network.trainable = m.params;
      out.network.regularized = m.weight_decay_params;
      out.network.states = m.states;
      out.graph = std::move(m.graph);
      // nn::inception_v3 uses slim's decay; the run's own goes into every BN node.
      for (int i = 0; i < out.graph->size(); ++i) {
        graph::Node& n = out.graph->mutable_node(i);
        if (n.kind == graph::NodeKind::op && n.op == "batch_norm") n.attrs.set("decay", c.bn_decay);
      }
      return out;
    };
    const int64_t min_size = nn::inception_v3_min_image_size(c.aux_logits);
    CUTRAIN_CHECK(c.image_size >= min_size, "inception_v3 needs --image-size >= ", min_size,
                  c.aux_logits ? " with the aux head" : "", ", got ", c.image_size);
    if (!freeze.empty()) b = train::freeze_builder(std::move(b), freeze, freeze_report);
    return std::make_unique<train::Model>(std::move(b), spec, c.to_json());
#else
    throw Error("model inception_v3 is not available in this build");
#endif
  }
  throw Error("unknown model '" + c.model + "' (expected inception_v3 or small_cnn)");
}

namespace {

void require_dir(const std::string& dir, const std::string& what) {
  if (!std::filesystem::is_directory(dir))
    throw Error(what + " directory '" + dir + "' does not exist");
}

}  // namespace

DataSets load_datasets(const std::string& name, const std::string& data_dir, uint64_t seed, SplitsToLoad splits) {
  DataSets d;
  const bool train = splits != SplitsToLoad::test, test = splits != SplitsToLoad::train;
  if (name == "fashion-mnist") {
    const std::string dir = data_dir.empty() ? data::kFashionMnistDir : data_dir;
    require_dir(dir, "Fashion-MNIST");
    if (train) d.train = std::make_shared<data::TensorDataset>(data::load_fashion_mnist(data::Split::train, dir));
    if (test) d.test = std::make_shared<data::TensorDataset>(data::load_fashion_mnist(data::Split::test, dir));
    return d;
  }
  if (name == "cifar10") {
    const std::string dir = data_dir.empty() ? "cifar-10-batches-bin" : data_dir;
    require_dir(dir, "CIFAR-10");
    if (train) d.train = std::make_shared<data::TensorDataset>(data::load_cifar10(data::Split::train, dir));
    if (test) d.test = std::make_shared<data::TensorDataset>(data::load_cifar10(data::Split::test, dir));
    d.channels = 3;
    d.native_size = 32;
    return d;
  }
  if (name.rfind("folder:", 0) == 0) {
    const std::string dir = name.substr(7);
    require_dir(dir, "image");
    auto ds = std::make_shared<data::ImageFolderDataset>(dir);
    d.num_classes = static_cast<int>(ds->class_names().size());
    d.train = ds;
    d.channels = 3;
    d.native_size = 299;
    return d;
  }
  if (name == "synthetic") {
    data::SyntheticOptions o;
    o.size = 2048;
    o.height = o.width = 28;
    o.channels = 1;
    o.num_classes = 10;
    o.seed = seed;
    // No test split: another seed would draw other class patterns.
    d.train = std::make_shared<data::SyntheticDataset>(o);
    return d;
  }
  throw Error("unknown dataset '" + name + "' (expected fashion-mnist, cifar10, folder:PATH or synthetic)");
}

Device parse_device(const std::string& s) {
  if (s == "auto") return cuda_available() ? Device::cuda() : Device::cpu();
  const Device d = Device::parse(s);
  if (d.is_cuda()) CUTRAIN_CHECK(cuda_available(), "--device ", s, ": no usable GPU (try --device cpu)");
  return d;
}

int file_error(const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 2;
}

}  // namespace cutrain::cli
