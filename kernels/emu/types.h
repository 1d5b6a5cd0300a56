// CUDA's built-in vector types (float2, int4, dim3, ...) for the emulated build,
// with the same sizes and alignments as vector_types.h, and their make_*
// functions. They live in cutrain::emu::device and emu.h brings them into the
// kernel TU's global namespace, so they never clash with CUDA's own types in a
// binary that also links nvcc-built code.
#pragma once

#include <cstdint>

namespace cutrain::emu::device {

#define CUTRAIN_EMU_VEC1(name, T, A)        \
  struct alignas(A) name##1 { T x; };       \
  inline constexpr name##1 make_##name##1(T x) { return {x}; }
#define CUTRAIN_EMU_VEC2(name, T, A)        \
  struct alignas(A) name##2 { T x, y; };    \
  inline constexpr name##2 make_##name##2(T x, T y) { return {x, y}; }
#define CUTRAIN_EMU_VEC3(name, T)           \
  struct name##3 { T x, y, z; };            \
  inline constexpr name##3 make_##name##3(T x, T y, T z) { return {x, y, z}; }
#define CUTRAIN_EMU_VEC4(name, T, A)        \
  struct alignas(A) name##4 { T x, y, z, w; }; \
  inline constexpr name##4 make_##name##4(T x, T y, T z, T w) { return {x, y, z, w}; }
#define CUTRAIN_EMU_VECS(name, T)              \
  CUTRAIN_EMU_VEC1(name, T, sizeof(T))         \
  CUTRAIN_EMU_VEC2(name, T, 2 * sizeof(T))     \
  CUTRAIN_EMU_VEC3(name, T)                    \
  CUTRAIN_EMU_VEC4(name, T, 4 * sizeof(T) > 16 ? 16 : 4 * sizeof(T))

CUTRAIN_EMU_VECS(char, signed char)
CUTRAIN_EMU_VECS(uchar, unsigned char)
CUTRAIN_EMU_VECS(short, short)
CUTRAIN_EMU_VECS(ushort, unsigned short)
CUTRAIN_EMU_VECS(int, int)
CUTRAIN_EMU_VECS(uint, unsigned int)
CUTRAIN_EMU_VECS(float, float)
// 64-bit element types: CUDA 13 deprecates the 4-wide ones (double4 & co.), so
// only 1-3 wide are provided; a kernel that needs them fails to compile.
CUTRAIN_EMU_VEC1(longlong, long long, 8)
CUTRAIN_EMU_VEC2(longlong, long long, 16)
CUTRAIN_EMU_VEC3(longlong, long long)
CUTRAIN_EMU_VEC1(ulonglong, unsigned long long, 8)
CUTRAIN_EMU_VEC2(ulonglong, unsigned long long, 16)
CUTRAIN_EMU_VEC3(ulonglong, unsigned long long)
CUTRAIN_EMU_VEC1(double, double, 8)
CUTRAIN_EMU_VEC2(double, double, 16)
CUTRAIN_EMU_VEC3(double, double)

#undef CUTRAIN_EMU_VECS
#undef CUTRAIN_EMU_VEC1
#undef CUTRAIN_EMU_VEC2
#undef CUTRAIN_EMU_VEC3
#undef CUTRAIN_EMU_VEC4

static_assert(sizeof(float4) == 16 && alignof(float4) == 16);
static_assert(sizeof(float2) == 8 && alignof(float2) == 8);
static_assert(sizeof(double2) == 16 && alignof(double2) == 16);
static_assert(sizeof(uint3) == 12 && alignof(uint3) == 4);
static_assert(sizeof(short4) == 8 && alignof(short4) == 8);

// dim3: unspecified components default to 1, as in CUDA.
struct dim3 {
  unsigned int x = 1, y = 1, z = 1;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return {x, y, z}; }
};

}  // namespace cutrain::emu::device
