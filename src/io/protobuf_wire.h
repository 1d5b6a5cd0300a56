// The few pieces of the protobuf wire format that event files need.
//
// TensorBoard reads serialized Event protos; the messages we write (Event,
// Summary, Summary.Value, Summary.Image, HistogramProto) use only varints,
// fixed32/fixed64 numbers and length-delimited fields. Encoding them by hand
// keeps cutrain free of the TensorFlow and protobuf libraries (large builds,
// version pinning) for roughly a hundred lines of code.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "cutrain/core/error.h"

namespace cutrain::io::pb {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void put_key(std::string& out, uint32_t field, WireType type) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | type);
}

inline void put_fixed64_raw(std::string& out, uint64_t bits) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

inline void put_double(std::string& out, uint32_t field, double v) {
  put_key(out, field, kFixed64);
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  put_fixed64_raw(out, bits);
}

inline void put_float(std::string& out, uint32_t field, float v) {
  put_key(out, field, kFixed32);
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

// int32/int64 fields: negative values take ten bytes (two's complement), as protobuf does.
inline void put_int(std::string& out, uint32_t field, int64_t v) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(v));
}

inline void put_bytes(std::string& out, uint32_t field, std::string_view bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out.append(bytes);
}

// Reads fields of one message; throws on malformed input.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  // Next field's number and wire type.
  std::pair<uint32_t, WireType> key() {
    const uint64_t k = varint();
    return {static_cast<uint32_t>(k >> 3), static_cast<WireType>(k & 7)};
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      CUTRAIN_CHECK(pos_ < data_.size(), "protobuf: truncated varint");
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    CUTRAIN_THROW("protobuf: varint longer than 10 bytes");
  }
  uint64_t fixed64() { return fixed(8); }
  uint32_t fixed32() { return static_cast<uint32_t>(fixed(4)); }
  double as_double() {
    const uint64_t b = fixed64();
    double d;
    std::memcpy(&d, &b, 8);
    return d;
  }
  float as_float() {
    const uint32_t b = fixed32();
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
  std::string_view bytes() {
    const uint64_t n = varint();
    CUTRAIN_CHECK(n <= data_.size() - pos_, "protobuf: length-delimited field of ", n,
                  " bytes runs past the end of the message");
    const std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(WireType t) {
    switch (t) {
      case kVarint:
        varint();
        break;
      case kFixed64:
        fixed(8);
        break;
      case kFixed32:
        fixed(4);
        break;
      case kLengthDelimited:
        bytes();
        break;
      default:
        CUTRAIN_THROW("protobuf: unsupported wire type ", int(t));
    }
  }

 private:
  uint64_t fixed(int n) {
    CUTRAIN_CHECK(data_.size() - pos_ >= static_cast<std::size_t>(n), "protobuf: truncated fixed",
                  n * 8, " field");
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace cutrain::io::pb
