#include "cutrain/train/checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/nn/weights.h"

namespace cutrain::train {

// One naming scheme for checkpoints and weight files (nn/weights.h).
std::string checkpoint_name(const std::string& graph_name) { return nn::weight_name(graph_name); }

namespace {

int64_t parse_int(const io::Metadata& m, const std::string& key, const std::string& path) {
  auto it = m.find(key);
  CUTRAIN_CHECK(it != m.end(), "checkpoint '", path, "' has no '", key,
                "' in its metadata: not a cutrain checkpoint");
  try {
    size_t used = 0;
    if (key == "seed") return static_cast<int64_t>(std::stoull(it->second, &used));
    const int64_t v = std::stoll(it->second, &used);
    CUTRAIN_CHECK(used == it->second.size(), "trailing characters");
    return v;
  } catch (const std::exception&) {
    throw Error("checkpoint '" + path + "': metadata '" + key + "' is not an integer: '" +
                it->second + "'");
  }
}

// Round-trip exact text for a double.
std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointState& s) {
  io::TensorMap all = s.weights;
  for (const auto& [name, t] : s.optimizer) {
    CUTRAIN_CHECK(name.rfind("optimizer.", 0) == 0, "optimizer tensor '", name,
                  "' must be named optimizer.*");
    CUTRAIN_CHECK(all.emplace(name, t).second, "duplicate checkpoint tensor '", name, "'");
  }
  io::Metadata m{{"format", "pt"},
                 {"layout", kCheckpointLayout},
                 {"step", std::to_string(s.step)},
                 {"epoch", std::to_string(s.epoch)},
                 {"seed", std::to_string(s.seed)},
                 {"weights_only", s.weights_only ? "1" : "0"},
                 {"optimizer", s.optimizer_name},
                 {"lr_override", fmt_double(s.lr_override)},
                 {"config", s.config_json},
                 {"schedule_steps", std::to_string(s.schedule_steps)}};
  add_checksums(all, m);
  io::save_safetensors(path, all, m);
}

CheckpointState load_checkpoint(const std::string& path, bool verify) {
  CUTRAIN_CHECK(std::filesystem::exists(path), "checkpoint '", path, "' does not exist");
  io::SafetensorsContents c = io::load_safetensors(path);
  if (verify) verify_checksums(c.tensors, c.metadata, path);
  CheckpointState s;
  s.step = parse_int(c.metadata, "step", path);
  s.epoch = parse_int(c.metadata, "epoch", path);
  s.seed = static_cast<uint64_t>(parse_int(c.metadata, "seed", path));
  // Seeds are unsigned 64-bit; parse_int has checked that one is present.
  s.seed = std::stoull(c.metadata.at("seed"));
  s.weights_only = parse_int(c.metadata, "weights_only", path) != 0;
  if (auto it = c.metadata.find("optimizer"); it != c.metadata.end()) s.optimizer_name = it->second;
  if (auto it = c.metadata.find("config"); it != c.metadata.end()) s.config_json = it->second;
  if (auto it = c.metadata.find("lr_override"); it != c.metadata.end()) {
    try {
      s.lr_override = std::stod(it->second);
    } catch (const std::exception&) {
      throw Error("checkpoint '" + path + "': metadata 'lr_override' is not a number: '" + it->second + "'");
    }
  }
  if (auto it = c.metadata.find("layout"); it != c.metadata.end())
    CUTRAIN_CHECK(it->second == kCheckpointLayout, "checkpoint '", path, "' has layout '", it->second,
                  "', expected '", kCheckpointLayout, "'");
  if (c.metadata.count("schedule_steps")) s.schedule_steps = parse_int(c.metadata, "schedule_steps", path);
  for (auto& [name, t] : c.tensors) {
    if (name.rfind("optimizer.", 0) == 0)
      s.optimizer[name] = t;
    else
      s.weights[name] = t;
  }
  if (verify) verify_checkpoint_values(s, path);
  return s;
}

}  // namespace cutrain::train
