// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by the
// TFRecord framing of TensorBoard event files, and its "masked" form.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cutrain::io {

// Continues a CRC: crc32c(b, crc32c(a)) == crc32c(a ++ b). Start with 0.
uint32_t crc32c(const void* data, std::size_t bytes, uint32_t crc = 0);

// TFRecord stores CRCs masked so that a CRC of data containing CRCs stays well
// distributed: rotate right by 15, add 0xA282EAD8 (mod 2^32).
inline uint32_t mask_crc32c(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}
inline uint32_t unmask_crc32c(uint32_t masked) {
  const uint32_t rot = masked - 0xA282EAD8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace cutrain::io
