// Fibers of the emulated GPU: one per CUDA thread of a block, each on its own
// guarded stack, switched by hand on x86-64 (see fiber.cpp). Internal to the
// emulation layer: kernels include emu/emu.h, never this header.
#pragma once

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "cutrain/core/error.h"
#include "emu/emu.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CUTRAIN_EMU_ASAN 1
#else
#define CUTRAIN_EMU_ASAN 0
#endif

namespace cutrain::emu::internal {

// Bytes of one fiber stack: CUTRAIN_EMU_STACK_KB, or a default that suits ASan.
std::size_t stack_bytes();

// A fiber stack with a PROT_NONE guard page below it, so an overflow faults.
class Stack {
 public:
  explicit Stack(std::size_t bytes) : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))), size_(bytes) {
    void* p = mmap(nullptr, size_ + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw OutOfMemoryError("emulated kernel: cannot map a fiber stack");
    base_ = static_cast<char*>(p);
    mprotect(base_, page_, PROT_NONE);
  }
  ~Stack() {
    if (base_ != nullptr) munmap(base_, size_ + page_);
  }
  Stack(Stack&& o) noexcept : page_(o.page_), size_(o.size_), base_(std::exchange(o.base_, nullptr)) {}
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  Stack& operator=(Stack&&) = delete;
  char* bottom() const { return base_ + page_; }
  std::size_t size() const { return size_; }

 private:
  std::size_t page_;
  std::size_t size_;
  char* base_ = nullptr;
};

// ---- context switching ------------------------------------------------------------
// A fiber context. On x86-64 a minimal switch saves the callee-saved registers
// and the FP control words on the stack and swaps stack pointers: glibc's
// swapcontext also saves the signal mask with a system call, which costs ~1.5
// us here and would dominate every barrier. Elsewhere (or with
// -DCUTRAIN_EMU_UCONTEXT) ucontext does both creation and switching.
#if defined(__x86_64__) && !defined(CUTRAIN_EMU_UCONTEXT)
#define CUTRAIN_EMU_FAST_SWITCH 1
extern "C" void cutrain_emu_switch(void** save_sp, void* new_sp);
#else
#define CUTRAIN_EMU_FAST_SWITCH 0
#endif

struct Context {
  void* sp = nullptr;  // fast switch: saved stack pointer
  ucontext_t uc;       // ucontext switch
};

// Prepares `c` to run `entry()` on [stack, stack + size) when first switched to.
void make_context(Context& c, const ucontext_t& tmpl, char* stack, std::size_t size, void (*entry)());

inline void switch_context(Context& from, Context& to) {
#if CUTRAIN_EMU_FAST_SWITCH
  cutrain_emu_switch(&from.sp, to.sp);
#else
  swapcontext(&from.uc, &to.uc);
#endif
}

enum class State : uint8_t { runnable, at_barrier, at_warp_op, done };

struct Fiber {
  Context context;
  detail::ThreadContext tc;
  char* stack = nullptr;
  std::size_t stack_size = 0;
  int linear = 0;
  State state = State::runnable;
  bool started = false;
  bool cancel = false;
  // Block barrier: kind and predicate in, result out.
  detail::BlockSync sync_kind = detail::BlockSync::plain;
  int predicate = 0;
  int sync_result = 0;
  // Warp operation: arguments in, result out.
  detail::WarpOp op = detail::WarpOp::sync;
  unsigned mask = 0;
  int param = 0;
  int width = 32;
  uint64_t value = 0;
  uint64_t op_result = 0;
};

// Thrown into a waiting fiber to unwind it after the block failed.
struct Cancelled {};

}  // namespace cutrain::emu::internal
