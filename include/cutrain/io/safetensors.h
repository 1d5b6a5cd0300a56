// safetensors files: checkpoints and weight imports.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON, then the
// data buffer. Each tensor entry gives dtype, shape and [begin, end) offsets
// into the buffer; `__metadata__` maps strings to strings. Files come from
// outside (downloads, other tools), so the reader checks every rule of the
// format and reports the file and the exact problem instead of trusting it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cutrain/core/dtype.h"
#include "cutrain/core/tensor.h"

namespace cutrain::io {

using TensorMap = std::map<std::string, Tensor>;
using Metadata = std::map<std::string, std::string>;

struct SafetensorsContents {
  TensorMap tensors;
  Metadata metadata;
};

// Largest accepted header, as in the reference implementation (100 MB).
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000;
// Deepest JSON nesting accepted in a header (valid headers nest 3 deep): the
// parser's memory grows with the depth, so a crafted header is refused first.
inline constexpr int kSafetensorsMaxHeaderDepth = 8;
// Most dimensions a tensor entry may have.
inline constexpr std::size_t kSafetensorsMaxRank = 16;

// File dtype name ("F32", "BF16", ...) of a cutrain dtype.
std::string_view safetensors_dtype_name(DType t);
// cutrain dtype of a file dtype name; nullopt for names that are valid in the
// format but have no cutrain type (I8, I16, U16, U32, U64).
std::optional<DType> safetensors_dtype(std::string_view name);

// Writes CPU tensors (made contiguous if needed) atomically. The metadata
// always gets "format": "pt" (unless given) so Hugging Face loaders accept it.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const Metadata& metadata = {});

// The whole file as bytes, as save_safetensors would write it.
std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata = {});

// Reads and validates a file; throws cutrain::Error naming `path` and the problem.
SafetensorsContents load_safetensors(const std::string& path);

// Parses bytes already in memory; `name` is used in error messages.
SafetensorsContents parse_safetensors(std::string_view bytes, const std::string& name);

}  // namespace cutrain::io
