// Fiber stacks and the context switch of the emulated GPU.
#include "emu/fiber.h"

#include <cstdlib>

namespace cutrain::emu::internal {


// ASan needs bigger frames (redzones) and the fake stack.
constexpr std::size_t kDefaultStackBytes = CUTRAIN_EMU_ASAN ? 256 * 1024 : 64 * 1024;

std::size_t stack_bytes() {
  static const std::size_t bytes = [] {
    const char* env = std::getenv("CUTRAIN_EMU_STACK_KB");
    if (env == nullptr || *env == '\0') return kDefaultStackBytes;
    const long kb = std::strtol(env, nullptr, 10);
    CUTRAIN_CHECK(kb >= 16 && kb <= 65536, "CUTRAIN_EMU_STACK_KB must be in [16, 65536]; got '", env, "'");
    return static_cast<std::size_t>(kb) * 1024;
  }();
  return bytes;
}

#if CUTRAIN_EMU_FAST_SWITCH
// The section directives are pushed and popped so that the code the compiler
// emits after this block stays in its own section.
asm(R"(
  .pushsection .text
  .p2align 4
  .globl cutrain_emu_switch
  .hidden cutrain_emu_switch
  .type cutrain_emu_switch, @function
cutrain_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cutrain_emu_switch, .-cutrain_emu_switch
  .popsection
  .pushsection .note.GNU-stack,"",@progbits
  .popsection
)");
#endif

// Prepares `c` to run `entry()` on [stack, stack + size) when first switched to.
void make_context(Context& c, const ucontext_t& tmpl, char* stack, std::size_t size, void (*entry)()) {
#if CUTRAIN_EMU_ASAN
  // The last fiber on this stack never returned from its entry: clear the
  // shadow of its frames' redzones before reusing the memory.
  ASAN_UNPOISON_MEMORY_REGION(stack, size);
#endif
#if CUTRAIN_EMU_FAST_SWITCH
  (void)tmpl;
  auto top = reinterpret_cast<uintptr_t>(stack + size) & ~uintptr_t{15};
  auto* slot = reinterpret_cast<uint64_t*>(top);
  *--slot = 0;                                   // fake return address of entry (ends backtraces)
  *--slot = reinterpret_cast<uint64_t>(entry);   // popped by `ret`
  for (int i = 0; i < 6; ++i) *--slot = 0;       // rbp rbx r12 r13 r14 r15
  *--slot = 0x1F80ull | (0x037Full << 32);       // mxcsr, x87 control word (defaults)
  c.sp = slot;
#else
  c.uc = tmpl;
  c.uc.uc_stack.ss_sp = stack;
  c.uc.uc_stack.ss_size = size;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, entry, 0);
#endif
}

}  // namespace cutrain::emu::internal
