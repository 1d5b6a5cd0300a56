#include "cutrain/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "cutrain/io/atomic_file.h"
#include "common/test_util.h"

namespace cutrain::io {
namespace {

using testing_util::error_of;
using testing_util::ScratchDir;
using testing_util::slurp;
using testing_util::spit;

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// A file with the given header text (padded) and data buffer.
std::string make_file(std::string header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

TEST(Safetensors, RoundTripsEveryDtypeAndScalar) {
  ScratchDir dir("st_roundtrip");
  TensorMap in;
  const std::vector<double> vals = {0, 1, -2, 3.5, 100, -7.25};
  for (DType t : kAllDTypes) {
    std::vector<double> v = vals;
    if (t == DType::boolean) v = {0, 1, 1, 0, 1, 0};
    if (t == DType::u8) v = {0, 1, 2, 3, 255, 7};
    const std::string name = "w_" + std::string(dtype_name(t));
    in[name] = Tensor::from_vector({2, 3}, v, t);
  }
  in["scalar"] = Tensor::from_vector(Shape{}, {42.5}, DType::f32);
  in["empty"] = Tensor::zeros({0, 4}, DType::f32);
  // A non-contiguous view is saved by value.
  Tensor big = Tensor::from_vector({3, 2}, {1, 2, 3, 4, 5, 6}, DType::f64);
  in["view"] = big.slice(1, 1, 2);

  const std::string path = dir.file("m.safetensors");
  save_safetensors(path, in, {{"step", "17"}});
  const SafetensorsContents out = load_safetensors(path);
  ASSERT_EQ(out.tensors.size(), in.size());
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(out.tensors.count(name)) << name;
    const Tensor& r = out.tensors.at(name);
    EXPECT_EQ(r.dtype(), t.dtype()) << name;
    EXPECT_EQ(r.shape(), t.shape()) << name;
    EXPECT_EQ(r.to_vector(), t.to_vector()) << name;
    if (t.is_contiguous()) {
      EXPECT_TRUE(same_bytes(r, t)) << name;
    }
  }
  EXPECT_EQ(out.tensors.at("scalar").rank(), 0);
  EXPECT_EQ(out.tensors.at("scalar").item(), 42.5);
  EXPECT_EQ(out.metadata.at("step"), "17");
  EXPECT_EQ(out.metadata.at("format"), "pt");

  // Layout: header length prefix, data 8-aligned, header padded with spaces.
  const std::string bytes = slurp(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ((8 + n) % 8, 0u);
  EXPECT_EQ(bytes[8], '{');
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.find_last_not_of(' '), header.rfind('}'));
  EXPECT_EQ(serialize_safetensors(in, {{"step", "17"}}), bytes);
}

TEST(Safetensors, DtypeNames) {
  EXPECT_EQ(safetensors_dtype_name(DType::bf16), "BF16");
  EXPECT_EQ(safetensors_dtype_name(DType::boolean), "BOOL");
  EXPECT_EQ(safetensors_dtype("F64"), DType::f64);
  EXPECT_FALSE(safetensors_dtype("U16").has_value());
  EXPECT_THROW(safetensors_dtype("F8"), Error);
}

// Each malformed file is rejected, and the message names the file and the problem.
struct BadCase {
  const char* label;
  std::string bytes;
  const char* expected;
};

std::string parse_error(const std::string& bytes) {
  return error_of([&] { parse_safetensors(bytes, "bad.safetensors"); });
}

TEST(Safetensors, RejectsMalformedFiles) {
  const std::string d8(8, '\x01');
  const std::vector<BadCase> cases = {
      {"hole",
       make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                 std::string(12, '\0')),
       "hole in the data buffer: bytes [4, 8)"},
      {"overlap",
       make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 d8),
       "overlap: tensor 'b' [4, 8) overlaps tensor 'a' [0, 8)"},
      {"unknown dtype", make_file(R"({"a":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})", d8),
       "unknown dtype 'F12'"},
      {"unsupported dtype",
       make_file(R"({"a":{"dtype":"I16","shape":[4],"data_offsets":[0,8]}})", d8),
       "unsupported dtype 'I16'"},
      {"truncated buffer",
       make_file(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})", d8),
       "out of the data buffer of 8 bytes"},
      {"shape/offset mismatch",
       make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8),
       "shape/offset mismatch for tensor 'a'"},
      {"trailing bytes", make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d8),
       "tensors cover 4 bytes but the data buffer has 8"},
      {"duplicate name",
       make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                 R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 d8),
       "duplicate tensor name 'a'"},
      {"duplicate field",
       make_file(R"({"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}})",
                 std::string(4, '\0')),
       "duplicate key 'dtype' in 'a'"},
      {"invalid JSON", make_file(R"({"a":{"dtype":"F32",)", d8), "header is not valid JSON"},
      {"negative dim", make_file(R"({"a":{"dtype":"U8","shape":[-8],"data_offsets":[0,8]}})", d8),
       "is negative (-8)"},
      {"fractional dim",
       make_file(R"({"a":{"dtype":"U8","shape":[8.0],"data_offsets":[0,8]}})", d8),
       "must be an integer, got 8.0"},
      {"offsets reversed",
       make_file(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", d8),
       "end before they begin"},
      {"missing field", make_file(R"({"a":{"dtype":"U8","shape":[8]}})", d8),
       "has no 'data_offsets'"},
      {"extra field",
       make_file(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8],"x":1}})", d8),
       "unexpected field 'x'"},
      {"metadata not strings", make_file(R"({"__metadata__":{"step":3}})", ""),
       "__metadata__ value of 'step' is not a string"},
      {"not an object", make_file("[1, 2]", ""), "header is not a JSON object"},
      {"bad bool",
       make_file(R"({"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", "\x01\x02"),
       "holds byte value 2"},
      {"overflowing shape",
       make_file(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                 d8),
       "overflows 64-bit byte counts"},
      {"too short", std::string("\x10\0\0", 3), "too short for the 8-byte header length"},
  };
  for (const BadCase& c : cases) {
    const std::string msg = parse_error(c.bytes);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.label << ": message was: " << msg;
    EXPECT_NE(msg.find("bad.safetensors"), std::string::npos) << c.label << ": " << msg;
  }
}

TEST(Safetensors, RejectsHugeOrOversizedHeaderLength) {
  std::string huge(8, '\0');
  const uint64_t n = kSafetensorsMaxHeader + 1;
  for (int i = 0; i < 8; ++i) huge[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  huge += "{}";
  EXPECT_NE(parse_error(huge).find("exceeds the limit of 100000000 bytes"), std::string::npos);

  std::string longer = make_file("{}", "");
  longer[0] = 100;  // says 100 bytes of header, the file has 2
  EXPECT_NE(parse_error(longer).find("header length 100 is larger than the rest of the file"),
            std::string::npos);
}

TEST(Safetensors, TruncatedFileOnDiskNamesThePath) {
  ScratchDir dir("st_trunc");
  const std::string path = dir.file("t.safetensors");
  save_safetensors(path, {{"w", Tensor::full({4, 4}, DType::f32, 1.0)}});
  std::string bytes = slurp(path);
  spit(path, bytes.substr(0, bytes.size() - 5));
  const std::string msg = error_of([&] { load_safetensors(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of the data buffer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  spit(path, bytes.substr(0, 20));  // cut inside the header
  const std::string msg2 = error_of([&] { load_safetensors(path); });
  EXPECT_NE(msg2.find("larger than the rest of the file"), std::string::npos) << msg2;

  const std::string msg3 = error_of([&] { load_safetensors(dir.file("missing.safetensors")); });
  EXPECT_NE(msg3.find("missing.safetensors"), std::string::npos) << msg3;
}

TEST(Safetensors, FailedWriteLeavesPreviousFileIntact) {
  ScratchDir dir("st_atomic");
  const std::string path = dir.file("ckpt.safetensors");
  save_safetensors(path, {{"w", Tensor::full({8}, DType::f32, 3.0)}});
  const std::string before = slurp(path);

  // A failure in the middle of writing (after some bytes went out).
  EXPECT_THROW(write_file_atomic(path,
                                 [](FileSink& sink) {
                                   sink.write("partial", 7);
                                   throw Error("injected failure");
                                 }),
               Error);
  EXPECT_EQ(slurp(path), before);
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  EXPECT_EQ(load_safetensors(path).tensors.at("w").flat(7), 3.0);

  // A directory that does not exist: a clear error naming the target.
  const std::string bad = dir.file("no/such/dir/ckpt.safetensors");
  const std::string msg = error_of([&] {
    save_safetensors(bad, {{"w", Tensor::zeros({1}, DType::f32)}});
  });
  EXPECT_NE(msg.find(bad), std::string::npos) << msg;

  // A successful overwrite replaces the contents.
  save_safetensors(path, {{"w", Tensor::full({8}, DType::f32, 5.0)}});
  EXPECT_EQ(load_safetensors(path).tensors.at("w").flat(0), 5.0);
}

}  // namespace
}  // namespace cutrain::io
