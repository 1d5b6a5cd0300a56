// Thread identity, barriers, warp shuffles and votes for the emulated build.
//
// Each CUDA thread of a block is a fiber on one OS thread (see scheduler.h).
// The scheduler points `current` at the running fiber's context before every
// switch, so threadIdx & co. read it; barriers and warp operations hand control
// back to the scheduler, which releases them once every participant arrived
// and computes the results of shuffles and votes.
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "emu/half.h"
#include "emu/types.h"

namespace cutrain::emu::detail {

struct ThreadContext {
  device::uint3 thread_idx;
  device::uint3 block_idx;
  device::dim3 block_dim;
  device::dim3 grid_dim;
  void* dynamic_shared = nullptr;
};

// The running fiber's context; null outside a kernel.
extern thread_local constinit ThreadContext* current;

[[noreturn]] void outside_kernel(const char* what);
inline const ThreadContext& ctx(const char* what) {
  ThreadContext* c = current;
  if (c == nullptr) [[unlikely]] outside_kernel(what);
  return *c;
}

enum class BlockSync : uint8_t { plain, count, all, any };
int block_barrier(BlockSync kind, int predicate);

enum class WarpOp : uint8_t { sync, shfl_idx, shfl_up, shfl_down, shfl_xor, ballot, any, all };
uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int param, int width);

template <typename T>
concept Shuffleable = std::same_as<T, int> || std::same_as<T, unsigned int> || std::same_as<T, long> ||
                      std::same_as<T, unsigned long> || std::same_as<T, long long> ||
                      std::same_as<T, unsigned long long> || std::same_as<T, float> ||
                      std::same_as<T, double> || std::same_as<T, device::__half> ||
                      std::same_as<T, device::__nv_bfloat16>;

template <Shuffleable T>
T shuffle(WarpOp op, unsigned mask, T var, int param, int width) {
  uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  bits = warp_op(op, mask, bits, param, width);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

}  // namespace cutrain::emu::detail

namespace cutrain::emu::device {

inline constexpr int warpSize = 32;

inline void __syncthreads() { detail::block_barrier(detail::BlockSync::plain, 0); }
inline int __syncthreads_count(int predicate) { return detail::block_barrier(detail::BlockSync::count, predicate); }
inline int __syncthreads_and(int predicate) { return detail::block_barrier(detail::BlockSync::all, predicate); }
inline int __syncthreads_or(int predicate) { return detail::block_barrier(detail::BlockSync::any, predicate); }

inline void __syncwarp(unsigned mask = 0xffffffffu) { detail::warp_op(detail::WarpOp::sync, mask, 0, 0, 32); }
template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  return detail::shuffle(detail::WarpOp::shfl_idx, mask, var, src_lane, width);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return detail::shuffle(detail::WarpOp::shfl_up, mask, var, static_cast<int>(delta), width);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return detail::shuffle(detail::WarpOp::shfl_down, mask, var, static_cast<int>(delta), width);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  return detail::shuffle(detail::WarpOp::shfl_xor, mask, var, lane_mask, width);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return static_cast<unsigned>(detail::warp_op(detail::WarpOp::ballot, mask, predicate != 0, 0, 32));
}
inline int __any_sync(unsigned mask, int predicate) {
  return static_cast<int>(detail::warp_op(detail::WarpOp::any, mask, predicate != 0, 0, 32));
}
inline int __all_sync(unsigned mask, int predicate) {
  return static_cast<int>(detail::warp_op(detail::WarpOp::all, mask, predicate != 0, 0, 32));
}

}  // namespace cutrain::emu::device
