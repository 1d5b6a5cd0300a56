// The safetensors reader against crafted headers that older versions let
// through or paid for in memory: NUL bytes, deep nesting, huge ranks.
#include <gtest/gtest.h>

#include <string>

#include "common/test_util.h"
#include "cutrain/io/safetensors.h"

namespace cutrain::io {
namespace {

using testing_util::error_of;

std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string parse_error(const std::string& bytes) {
  return error_of([&] { parse_safetensors(bytes, "crafted.safetensors"); });
}

const char* kOne = R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})";

TEST(SafetensorsStrict, AcceptsTheValidBaseline) {
  const SafetensorsContents c = parse_safetensors(make_file(kOne, "abcd"), "ok");
  EXPECT_EQ(c.tensors.size(), 1u);
}

// nlohmann's lexer ends its input at a NUL: whatever follows was ignored.
TEST(SafetensorsStrict, RejectsANulByteInTheHeader) {
  const std::string header = std::string(kOne) + std::string("\0garbage", 8);
  const std::string msg = parse_error(make_file(header, "abcd"));
  EXPECT_NE(msg.find("NUL byte in the header at offset "), std::string::npos) << msg;
  EXPECT_NE(msg.find("crafted.safetensors"), std::string::npos) << msg;
  // NUL padding instead of spaces.
  const std::string padded = std::string(kOne) + std::string(3, '\0');
  EXPECT_NE(parse_error(make_file(padded, "abcd")).find("NUL byte"), std::string::npos);
  // A NUL after the object, the tensor that follows it hidden from the parser.
  const std::string hidden = R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]})" +
                             std::string(1, '\0') +
                             R"(,"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})";
  EXPECT_NE(parse_error(make_file(hidden, "abcdefgh")).find("NUL byte"), std::string::npos);
}

TEST(SafetensorsStrict, RejectsDeepNestingBeforeParsing) {
  // 4 MB of '[' would take hundreds of MB as a DOM; refused by a scan.
  const std::string deep = R"({"__metadata__":{},"x":)" + std::string(4'000'000, '[');
  const std::string msg = parse_error(make_file(deep, ""));
  EXPECT_NE(msg.find("nests deeper than 8 levels"), std::string::npos) << msg;
  // Brackets inside strings do not count.
  const std::string in_string =
      R"({"__metadata__":{"k":"[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{\"]]]]"}})";
  EXPECT_NO_THROW(parse_safetensors(make_file(in_string, ""), "ok"));
}

TEST(SafetensorsStrict, RejectsAHeaderThatIsNotAnObject) {
  EXPECT_NE(parse_error(make_file("  [1]", "")).find("header is not a JSON object (it must start with"),
            std::string::npos);
  EXPECT_NE(parse_error(make_file("    ", "")).find("header is not a JSON object (it must start with"),
            std::string::npos);
}

TEST(SafetensorsStrict, RejectsHugeRanks) {
  std::string dims;
  for (int i = 0; i < 17; ++i) dims += (i ? ",1" : "1");
  const std::string header =
      R"({"a":{"dtype":"U8","shape":[)" + dims + R"(],"data_offsets":[0,1]}})";
  const std::string msg = parse_error(make_file(header, "x"));
  EXPECT_NE(msg.find("has 17 dimensions (at most 16"), std::string::npos) << msg;
}

// An empty tensor whose other dimensions multiply past int64: its strides
// would overflow.
TEST(SafetensorsStrict, RejectsEmptyShapesWhoseStridesOverflow) {
  const std::string header =
      R"({"a":{"dtype":"U8","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})";
  const std::string msg = parse_error(make_file(header, ""));
  EXPECT_NE(msg.find("overflows 64-bit byte counts"), std::string::npos) << msg;
  const std::string ok = R"({"a":{"dtype":"F32","shape":[0,1000000,3],"data_offsets":[0,0]}})";
  EXPECT_EQ(parse_safetensors(make_file(ok, ""), "ok").tensors.at("a").numel(), 0);
}

}  // namespace
}  // namespace cutrain::io
