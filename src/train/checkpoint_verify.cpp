// Checkpoint integrity: checksums written with every checkpoint and checked
// on load, and the value checks that catch a diverged or damaged state.
//
// The checksum is CRC-32C, the one TensorBoard's record framing already uses
// (io/crc32c.h, table driven): zlib only offers the other polynomial, and one
// CRC implementation in the project is simpler than two. Each tensor's bytes
// get one ("tensor_crc32c" in __metadata__: a JSON object name -> 8 hex
// digits); "header_crc32c" covers what the header says: every tensor's name,
// dtype and shape, and every other metadata entry, in a canonical form (the
// header text itself cannot include its own checksum).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cutrain/core/error.h"
#include "cutrain/io/crc32c.h"
#include "cutrain/train/checkpoint.h"

namespace cutrain::train {

namespace {

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Length-prefixed fields: no separator can be forged by a name or value.
void put_field(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

uint32_t tensor_crc(const Tensor& t) {
  const Tensor c = t.is_contiguous() ? t : t.clone();
  return io::crc32c(c.raw_data(), c.nbytes());
}

// First non-finite element of a floating tensor (-1: none) and how many.
std::pair<int64_t, int64_t> non_finite(const Tensor& t) {
  const Tensor f = t.dtype() == DType::f32 || t.dtype() == DType::f64 ? t : t.to(DType::f32);
  int64_t first = -1, count = 0;
  auto scan = [&](const auto* p) {
    for (int64_t i = 0; i < f.numel(); ++i)
      if (!std::isfinite(p[i])) {
        if (first < 0) first = i;
        ++count;
      }
  };
  if (f.dtype() == DType::f64)
    scan(static_cast<const double*>(f.raw_data()));
  else
    scan(static_cast<const float*>(f.raw_data()));
  return {first, count};
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string checkpoint_header_text(const io::TensorMap& tensors, const io::Metadata& metadata) {
  std::string out;
  for (const auto& [name, t] : tensors) {
    put_field(out, name);
    put_field(out, dtype_name(t.dtype()));
    put_field(out, t.shape().str());
  }
  for (const auto& [key, value] : metadata) {
    if (key == kHeaderCrcKey) continue;
    put_field(out, key);
    put_field(out, value);
  }
  return out;
}

void add_checksums(const io::TensorMap& tensors, io::Metadata& metadata) {
  nlohmann::json crcs = nlohmann::json::object();
  for (const auto& [name, t] : tensors) crcs[name] = hex32(tensor_crc(t));
  metadata[kTensorCrcKey] = crcs.dump();
  const std::string text = checkpoint_header_text(tensors, metadata);
  metadata[kHeaderCrcKey] = hex32(io::crc32c(text.data(), text.size()));
}

void verify_checksums(const io::TensorMap& tensors, const io::Metadata& metadata,
                      const std::string& path) {
  const auto header = metadata.find(kHeaderCrcKey);
  const auto per_tensor = metadata.find(kTensorCrcKey);
  // Checkpoints written before checksums existed carry neither: nothing to check.
  if (header == metadata.end() && per_tensor == metadata.end()) return;
  CUTRAIN_CHECK(header != metadata.end() && per_tensor != metadata.end(), "checkpoint '", path,
                "' is damaged: it has only one of ", kHeaderCrcKey, " and ", kTensorCrcKey,
                " (pass --no-verify to load it anyway)");
  const std::string text = checkpoint_header_text(tensors, metadata);
  const std::string computed = hex32(io::crc32c(text.data(), text.size()));
  CUTRAIN_CHECK(header->second == computed, "checkpoint '", path,
                "' is damaged: the header checksum does not match (stored ", header->second,
                ", computed ", computed, "; a tensor's name, dtype or shape or a metadata entry "
                "changed; pass --no-verify to load it anyway)");
  // The header checksum matched, so this text is what the writer produced.
  const nlohmann::json crcs = nlohmann::json::parse(per_tensor->second, nullptr, false);
  CUTRAIN_CHECK(crcs.is_object(), "checkpoint '", path, "' is damaged: ", kTensorCrcKey,
                " is not a JSON object");
  for (const auto& [name, t] : tensors) {
    const auto it = crcs.find(name);
    CUTRAIN_CHECK(it != crcs.end() && it->is_string(), "checkpoint '", path,
                  "' is damaged: no checksum for tensor '", name, "'");
    const std::string stored = it->get<std::string>();
    const std::string actual = hex32(tensor_crc(t));
    CUTRAIN_CHECK(stored == actual, "checkpoint '", path, "' is damaged: tensor '", name,
                  "' does not match its checksum (stored ", stored, ", computed ", actual,
                  "; pass --no-verify to load it anyway)");
  }
  for (const auto& [name, _] : crcs.items()) {
    CUTRAIN_CHECK(tensors.count(name), "checkpoint '", path, "' is damaged: tensor '", name,
                  "' has a checksum but is not in the file");
  }
}

void verify_checkpoint_values(const CheckpointState& s, const std::string& path) {
  CUTRAIN_CHECK(s.step >= 0, "checkpoint '", path, "': step is ", s.step,
                " (must be >= 0; pass --no-verify to load it anyway)");
  CUTRAIN_CHECK(s.epoch >= -1, "checkpoint '", path, "': epoch is ", s.epoch,
                " (must be >= -1, the last finished epoch; pass --no-verify to load it anyway)");
  CUTRAIN_CHECK(s.schedule_steps >= 0, "checkpoint '", path, "': schedule_steps is ",
                s.schedule_steps, " (must be >= 0)");
  for (const io::TensorMap* m : {&s.weights, &s.optimizer}) {
    for (const auto& [name, t] : *m) {
      if (!is_floating(t.dtype())) continue;
      const auto [first, count] = non_finite(t);
      CUTRAIN_CHECK(first < 0, "checkpoint '", path, "': tensor '", name, "' ",
                    t.shape().str(), " has ", count, " non-finite values (the first at element ",
                    first, "; a diverged run? pass --no-verify to load it anyway)");
      if (ends_with(name, ".running_var")) {
        const Tensor v = t.to(DType::f64);
        const auto* p = static_cast<const double*>(v.raw_data());
        for (int64_t i = 0; i < v.numel(); ++i)
          CUTRAIN_CHECK(p[i] >= 0, "checkpoint '", path, "': batch-norm variance '", name,
                        "' is negative at element ", i, " (", p[i],
                        "; pass --no-verify to load it anyway)");
      }
    }
  }
}

}  // namespace cutrain::train
