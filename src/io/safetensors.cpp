#include "cutrain/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/io/atomic_file.h"

namespace cutrain::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swaps");

namespace {

using nlohmann::json;

struct DTypeName {
  const char* name;
  std::optional<DType> dtype;
};

// Every dtype the format defines; the ones without a cutrain type are
// recognised so the error can say "unsupported" rather than "unknown".
constexpr DTypeName kDTypeNames[] = {
    {"BOOL", DType::boolean}, {"U8", DType::u8},   {"I8", std::nullopt},  {"I16", std::nullopt},
    {"U16", std::nullopt},    {"F16", DType::f16}, {"BF16", DType::bf16}, {"I32", DType::i32},
    {"U32", std::nullopt},    {"F32", DType::f32}, {"F64", DType::f64},   {"I64", DType::i64},
    {"U64", std::nullopt},
};

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> dims;
  uint64_t begin = 0, end = 0;
};

struct Header {
  std::vector<Entry> entries;
  Metadata metadata;
};

std::string offsets_str(uint64_t b, uint64_t e) {
  return "[" + std::to_string(b) + ", " + std::to_string(e) + ")";
}

// Parses JSON while recording the first duplicate key at any level:
// nlohmann keeps the last of duplicate keys silently, which would let a
// crafted file shadow one tensor with another.
json parse_json_rejecting_duplicates(std::string_view text, const std::string& name) {
  struct Level {
    std::string name;
    std::set<std::string> keys;
    std::string last_key;
  };
  std::vector<Level> stack;
  std::string duplicate;
  json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        stack.push_back(Level{stack.empty() ? std::string() : stack.back().last_key, {}, {}});
        break;
      case json::parse_event_t::object_end:
        if (!stack.empty()) stack.pop_back();
        break;
      case json::parse_event_t::key: {
        if (stack.empty()) break;
        const std::string key = parsed.get<std::string>();
        if (!stack.back().keys.insert(key).second && duplicate.empty()) {
          duplicate = stack.size() == 1
                          ? "duplicate tensor name '" + key + "'"
                          : "duplicate key '" + key + "' in '" + stack.back().name + "'";
        }
        stack.back().last_key = key;
        break;
      }
      default:
        break;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end(), cb);
  } catch (const json::exception& e) {
    CUTRAIN_THROW(name, ": invalid safetensors file: header is not valid JSON: ", e.what());
  }
  CUTRAIN_CHECK(duplicate.empty(), name, ": invalid safetensors file: ", duplicate);
  return j;
}

uint64_t checked_nonneg_integer(const json& v, const std::string& name, const std::string& what) {
  CUTRAIN_CHECK(v.is_number_integer(), name, ": invalid safetensors file: ", what,
                " must be an integer, got ", v.dump());
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  const int64_t s = v.get<int64_t>();
  CUTRAIN_CHECK(s >= 0, name, ": invalid safetensors file: ", what, " is negative (", s, ")");
  return static_cast<uint64_t>(s);
}

Entry parse_entry(const std::string& tname, const json& v, const std::string& name) {
  const std::string where = "tensor '" + tname + "'";
  CUTRAIN_CHECK(v.is_object(), name, ": invalid safetensors file: ", where,
                " is not an object: ", v.dump());
  for (const auto& [key, _] : v.items()) {
    CUTRAIN_CHECK(key == "dtype" || key == "shape" || key == "data_offsets", name,
                  ": invalid safetensors file: ", where, " has unexpected field '", key, "'");
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    CUTRAIN_CHECK(v.contains(key), name, ": invalid safetensors file: ", where, " has no '", key,
                  "'");
  }
  Entry e;
  e.name = tname;

  const json& dt = v["dtype"];
  CUTRAIN_CHECK(dt.is_string(), name, ": invalid safetensors file: dtype of ", where,
                " is not a string");
  const std::string dname = dt.get<std::string>();
  const auto* known = std::find_if(std::begin(kDTypeNames), std::end(kDTypeNames),
                                   [&](const DTypeName& d) { return dname == d.name; });
  CUTRAIN_CHECK(known != std::end(kDTypeNames), name, ": invalid safetensors file: unknown dtype '",
                dname, "' of ", where);
  CUTRAIN_CHECK(known->dtype.has_value(), name, ": unsupported dtype '", dname, "' of ", where,
                " (cutrain reads F32, F64, F16, BF16, I32, I64, U8, BOOL)");
  e.dtype = *known->dtype;

  const json& shape = v["shape"];
  CUTRAIN_CHECK(shape.is_array(), name, ": invalid safetensors file: shape of ", where,
                " is not an array: ", shape.dump());
  uint64_t bytes = dtype_size(e.dtype);
  // The product of the non-zero dimensions: with a 0 the tensor is empty, but
  // its strides are still products of dimensions and must fit in int64.
  uint64_t nonzero = dtype_size(e.dtype);
  bool overflow = false;
  CUTRAIN_CHECK(shape.size() <= kSafetensorsMaxRank, name, ": invalid safetensors file: shape of ",
                where, " has ", shape.size(), " dimensions (at most ", kSafetensorsMaxRank,
                " are accepted)");
  for (const json& d : shape) {
    const uint64_t n = checked_nonneg_integer(d, name, "a dimension of " + where);
    CUTRAIN_CHECK(n <= static_cast<uint64_t>(INT64_MAX), name,
                  ": invalid safetensors file: ", "dimension ", n, " of ", where, " is too large");
    e.dims.push_back(static_cast<int64_t>(n));
    overflow = overflow || __builtin_mul_overflow(bytes, n, &bytes);
    if (n > 0) overflow = overflow || __builtin_mul_overflow(nonzero, n, &nonzero);
  }
  overflow = overflow || nonzero > static_cast<uint64_t>(INT64_MAX);
  CUTRAIN_CHECK(!overflow, name, ": invalid safetensors file: shape ", shape.dump(), " of ", where,
                " overflows 64-bit byte counts");

  const json& off = v["data_offsets"];
  CUTRAIN_CHECK(off.is_array() && off.size() == 2, name,
                ": invalid safetensors file: ", "data_offsets of ", where,
                " must be [begin, end], got ", off.dump());
  e.begin = checked_nonneg_integer(off[0], name, "data_offsets of " + where);
  e.end = checked_nonneg_integer(off[1], name, "data_offsets of " + where);
  CUTRAIN_CHECK(e.begin <= e.end, name, ": invalid safetensors file: data_offsets of ", where,
                " end before they begin: ", off.dump());
  CUTRAIN_CHECK(e.end - e.begin == bytes, name,
                ": invalid safetensors file: shape/offset mismatch for ", where, ": shape ",
                shape.dump(), " of ", dname, " needs ", bytes, " bytes but data_offsets ",
                off.dump(), " span ", e.end - e.begin);
  return e;
}

// Checks what the JSON parser would let through or pay dearly for, in one
// pass with no allocation: nlohmann's lexer takes a NUL byte for the end of
// its input (so anything after one would be ignored), and every nesting level
// costs a DOM node (a 30 MB header of '[' would take GBs). A valid header
// nests three deep (header, tensor entry, shape or offsets).
void check_header_text(std::string_view text, const std::string& name) {
  const std::size_t nul = text.find('\0');
  CUTRAIN_CHECK(nul == std::string_view::npos, name,
                ": invalid safetensors file: NUL byte in the header at offset ", 8 + nul);
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  CUTRAIN_CHECK(first != std::string_view::npos && text[first] == '{', name,
                ": invalid safetensors file: header is not a JSON object (it must start with '{')");
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      CUTRAIN_CHECK(++depth <= kSafetensorsMaxHeaderDepth, name,
                    ": invalid safetensors file: header nests deeper than ",
                    kSafetensorsMaxHeaderDepth, " levels at offset ", 8 + i);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

Header parse_header(std::string_view text, uint64_t buffer_size, const std::string& name) {
  check_header_text(text, name);
  const json j = parse_json_rejecting_duplicates(text, name);
  CUTRAIN_CHECK(j.is_object(), name, ": invalid safetensors file: header is not a JSON object");
  Header h;
  for (const auto& [key, v] : j.items()) {
    if (key == "__metadata__") {
      CUTRAIN_CHECK(v.is_object(), name,
                    ": invalid safetensors file: __metadata__ is not an object");
      for (const auto& [mk, mv] : v.items()) {
        CUTRAIN_CHECK(mv.is_string(), name, ": invalid safetensors file: __metadata__ value of '",
                      mk, "' is not a string: ", mv.dump());
        h.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    h.entries.push_back(parse_entry(key, v, name));
  }

  // Every byte of the buffer belongs to exactly one tensor.
  std::vector<const Entry*> order;
  for (const Entry& e : h.entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : order) {
    CUTRAIN_CHECK(e->end <= buffer_size, name, ": invalid safetensors file: data_offsets ",
                  offsets_str(e->begin, e->end), " of tensor '", e->name,
                  "' are out of the data buffer of ", buffer_size, " bytes (truncated file?)");
    CUTRAIN_CHECK(e->begin <= covered, name,
                  ": invalid safetensors file: hole in the data buffer: ", "bytes ",
                  offsets_str(covered, e->begin), " belong to no tensor (before '", e->name, "')");
    CUTRAIN_CHECK(e->begin == covered, name, ": invalid safetensors file: overlap: tensor '",
                  e->name, "' ", offsets_str(e->begin, e->end), " overlaps tensor '",
                  prev ? prev->name : "", "' ",
                  prev ? offsets_str(prev->begin, prev->end) : std::string());
    covered = e->end;
    prev = e;
  }
  CUTRAIN_CHECK(covered == buffer_size, name, ": invalid safetensors file: tensors cover ", covered,
                " bytes but the data buffer has ", buffer_size,
                " (data does not cover the buffer exactly)");
  return h;
}

uint64_t read_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Checks the length prefix against the file size; returns the header length.
uint64_t check_header_length(uint64_t n, uint64_t file_size, const std::string& name) {
  CUTRAIN_CHECK(n <= kSafetensorsMaxHeader, name, ": invalid safetensors file: header length ", n,
                " exceeds the limit of ", kSafetensorsMaxHeader, " bytes");
  CUTRAIN_CHECK(n <= file_size - 8, name, ": invalid safetensors file: header length ", n,
                " is larger than the rest of the file (", file_size - 8,
                " bytes; truncated file?)");
  return n;
}

void check_bool_values(const Tensor& t, const std::string& tname, const std::string& name) {
  const auto* p = static_cast<const uint8_t*>(t.raw_data());
  for (int64_t i = 0; i < t.numel(); ++i) {
    CUTRAIN_CHECK(p[i] <= 1, name, ": invalid safetensors file: BOOL tensor '", tname,
                  "' holds byte value ", int(p[i]), " at element ", i, " (must be 0 or 1)");
  }
}

// Fills the tensors of a validated header; `read(dst, begin, bytes)` copies
// bytes from the data buffer.
template <typename Read>
SafetensorsContents materialize(Header&& h, const std::string& name, Read&& read) {
  SafetensorsContents out;
  out.metadata = std::move(h.metadata);
  for (const Entry& e : h.entries) {
    Tensor t = Tensor::empty(Shape(e.dims), e.dtype);
    if (e.end > e.begin) read(t.raw_data(), e.begin, e.end - e.begin);
    if (e.dtype == DType::boolean) check_bool_values(t, e.name, name);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::string_view safetensors_dtype_name(DType t) {
  for (const DTypeName& d : kDTypeNames) {
    if (d.dtype == t) return d.name;
  }
  CUTRAIN_THROW("no safetensors name for dtype ", dtype_name(t));
}

std::optional<DType> safetensors_dtype(std::string_view name) {
  for (const DTypeName& d : kDTypeNames) {
    if (name == d.name) return d.dtype;
  }
  CUTRAIN_THROW("unknown safetensors dtype '", name, "'");
}

namespace {

// Header text (space padded so the data starts 8-aligned) and the contiguous
// CPU tensors in file order.
std::pair<std::string, std::vector<Tensor>> build_header(const TensorMap& tensors,
                                                         const Metadata& metadata) {
  json header = json::object();
  std::vector<Tensor> data;
  uint64_t offset = 0;
  for (const auto& [tname, t0] : tensors) {
    CUTRAIN_CHECK(tname != "__metadata__", "a tensor cannot be named __metadata__");
    CUTRAIN_CHECK(t0.defined(), "cannot save undefined tensor '", tname, "'");
    CUTRAIN_CHECK(t0.device().is_cpu(), "cannot save tensor '", tname,
                  "': it is not on the CPU (copy it to the host first)");
    Tensor t = t0.is_contiguous() ? t0 : t0.clone();
    const uint64_t bytes = t.nbytes();
    header[tname] = {{"dtype", safetensors_dtype_name(t.dtype())},
                     {"shape", t.shape().dims()},
                     {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(std::move(t));
  }
  Metadata meta = metadata;
  meta.emplace("format", "pt");
  header["__metadata__"] = meta;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return {std::move(text), std::move(data)};
}

void write_le64(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata) {
  auto [text, data] = build_header(tensors, metadata);
  std::string out(8, '\0');
  write_le64(text.size(), out.data());
  out += text;
  for (const Tensor& t : data) out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  return out;
}

void save_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  // Not a structured binding: clang 14 (the fuzz build) cannot capture those.
  const auto built = build_header(tensors, metadata);
  const std::string& text = built.first;
  const std::vector<Tensor>& data = built.second;
  write_file_atomic(path, [&](FileSink& sink) {
    char len[8];
    write_le64(text.size(), len);
    sink.write(len, 8);
    sink.write(text.data(), text.size());
    for (const Tensor& t : data) sink.write(t.raw_data(), t.nbytes());
  });
}

SafetensorsContents parse_safetensors(std::string_view bytes, const std::string& name) {
  CUTRAIN_CHECK(bytes.size() >= 8, name, ": invalid safetensors file: ", bytes.size(),
                " bytes is too short for the 8-byte header length (truncated file?)");
  const uint64_t n = check_header_length(
      read_le64(reinterpret_cast<const unsigned char*>(bytes.data())), bytes.size(), name);
  const std::string_view buffer = bytes.substr(8 + n);
  Header h = parse_header(bytes.substr(8, n), buffer.size(), name);
  return materialize(std::move(h), name, [&](void* dst, uint64_t begin, uint64_t len) {
    std::memcpy(dst, buffer.data() + begin, len);
  });
}

SafetensorsContents load_safetensors(const std::string& path) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  CUTRAIN_CHECK(!ec, "cannot read safetensors file ", path, ": ", ec.message());
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  CUTRAIN_CHECK(f != nullptr, "cannot open safetensors file ", path, ": ", std::strerror(errno));
  CUTRAIN_CHECK(size >= 8, path, ": invalid safetensors file: ", size,
                " bytes is too short for the 8-byte header length (truncated file?)");
  unsigned char len[8];
  CUTRAIN_CHECK(std::fread(len, 1, 8, f.get()) == 8, "cannot read ", path);
  const uint64_t n = check_header_length(read_le64(len), size, path);
  std::string text(n, '\0');
  CUTRAIN_CHECK(std::fread(text.data(), 1, n, f.get()) == n, "cannot read the header of ", path,
                " (file changed while reading?)");
  const uint64_t data_start = 8 + n;
  Header h = parse_header(text, size - data_start, path);
  return materialize(std::move(h), path, [&](void* dst, uint64_t begin, uint64_t bytes) {
    CUTRAIN_CHECK(std::fseek(f.get(), static_cast<long>(data_start + begin), SEEK_SET) == 0 &&
                      std::fread(dst, 1, bytes, f.get()) == bytes,
                  "cannot read ", bytes, " bytes at offset ", data_start + begin, " of ", path,
                  " (file changed while reading?)");
  });
}

}  // namespace cutrain::io
