// The emulated GPU: runs a grid's blocks one after another on the calling OS
// thread, each CUDA thread of a block as a fiber (ucontext) with its own stack.
//
// A block runs in passes: every runnable fiber runs (in forward, reverse or
// seeded random order) until it reaches a barrier, a warp operation or its
// end; fibers switch directly to the next one of the pass and the last returns
// to the scheduler. Between passes the scheduler releases complete warp groups
// first (computing shuffle and vote results, so no fiber can overwrite a value
// another still has to read), then the block barrier. Rules:
//   * __syncthreads is released when every thread of the block waits at it.
//     If some threads have exited while others wait, that is a divergent
//     barrier and an error (CUDA leaves it undefined; we refuse to guess).
//   * A warp operation with mask M is released when every lane of M waits at
//     the same operation with the same mask. A lane of M that exited, does not
//     exist in the block, or waits elsewhere (a deadlock) is an error, as is a
//     calling lane outside M or a shuffle reading a lane outside M.
//   * The first exception thrown by a thread (or an error above) stops the
//     block: the other fibers are unwound and the launch throws cutrain::Error
//     naming the kernel, block and thread.
// Fibers of one block all run on one OS thread, so `static thread_local`
// (the emulated __shared__) is shared by exactly the block's threads.
//
// Internal to the emulation layer: fiber.h holds the fibers and their
// stacks, scheduler.cpp the passes and the block barrier, warp_ops.cpp the
// release of warp operations, launch.cpp the validation of a launch and the
// configuration, memory.cpp the emulated device memory.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "emu/emu.h"
#include "emu/fiber.h"

namespace cutrain::emu::internal {

using detail::BlockSync;
using detail::WarpOp;
using device::dim3;
using device::uint3;

const char* op_name(WarpOp op);
std::string dim_str(const uint3& v);

// The per-OS-thread scheduler: owns the fiber stacks (reused across launches).
class Scheduler {
 public:
  static Scheduler& for_this_thread() {
    static thread_local Scheduler s;
    return s;
  }

  void run(const detail::LaunchSpec& spec, detail::KernelEntry entry, const void* args, ThreadOrder order);
  int block_barrier(BlockSync kind, int predicate);
  uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int param, int width);
  SchedulerStats stats;

 private:
  Scheduler() { getcontext(&template_uc_); }
  void run_block(const uint3& block_idx);
  void run_pass(std::vector<int>& order);
  void release_or_fail();
  bool release_warp_groups();
  [[noreturn]] void fail(const std::string& msg);
  void cancel_all();
  void wait_here(Fiber& f);
  void switch_from_fiber(Fiber& f);
  void switch_to(Fiber* to, Context& from, bool from_dying);
  static void fiber_main();
  std::string where(const Fiber& f) const;

  ucontext_t template_uc_{};
  Context main_;
  std::vector<Stack> stacks_;
  std::vector<Fiber> fibers_;
  std::vector<int> pass_;
  std::size_t pass_pos_ = 0;
  std::vector<std::max_align_t> dynamic_shared_;
  // The launch being run.
  const detail::LaunchSpec* spec_ = nullptr;
  detail::KernelEntry entry_ = nullptr;
  const void* args_ = nullptr;
  ThreadOrder order_;
  uint3 block_idx_{};
  uint64_t pass_count_ = 0;
  bool active_ = false;
  std::exception_ptr error_;
  const Fiber* error_fiber_ = nullptr;
  // Stack bounds of the scheduler's own stack, for ASan's fiber annotations.
  const void* main_bottom_ = nullptr;
  std::size_t main_size_ = 0;
  bool from_main_ = false;
  Fiber* running_ = nullptr;
};

}  // namespace cutrain::emu::internal
