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
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "cutrain/core/error.h"
#include "emu/emu.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CUTRAIN_EMU_ASAN 1
#else
#define CUTRAIN_EMU_ASAN 0
#endif

namespace cutrain::emu {

namespace detail {

thread_local constinit ThreadContext* current = nullptr;

void outside_kernel(const char* what) {
  CUTRAIN_THROW(what, " used outside a kernel (emulated build)");
}

}  // namespace detail

namespace {

using detail::BlockSync;
using detail::WarpOp;
using device::dim3;
using device::uint3;

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
asm(R"(
  .text
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
  .section .note.GNU-stack,"",@progbits
)");
#else
#define CUTRAIN_EMU_FAST_SWITCH 0
#endif

struct Context {
  void* sp = nullptr;  // fast switch: saved stack pointer
  ucontext_t uc;       // ucontext switch
};

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
  BlockSync sync_kind = BlockSync::plain;
  int predicate = 0;
  int sync_result = 0;
  // Warp operation: arguments in, result out.
  WarpOp op = WarpOp::sync;
  unsigned mask = 0;
  int param = 0;
  int width = 32;
  uint64_t value = 0;
  uint64_t op_result = 0;
};

// Thrown into a waiting fiber to unwind it after the block failed.
struct Cancelled {};

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::sync: return "__syncwarp";
    case WarpOp::shfl_idx: return "__shfl_sync";
    case WarpOp::shfl_up: return "__shfl_up_sync";
    case WarpOp::shfl_down: return "__shfl_down_sync";
    case WarpOp::shfl_xor: return "__shfl_xor_sync";
    case WarpOp::ballot: return "__ballot_sync";
    case WarpOp::any: return "__any_sync";
    case WarpOp::all: return "__all_sync";
  }
  return "?";
}

std::string dim_str(const uint3& v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

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

std::string Scheduler::where(const Fiber& f) const {
  return "block " + dim_str(block_idx_) + " thread " + dim_str(f.tc.thread_idx);
}

void Scheduler::fail(const std::string& msg) {
  cancel_all();
  throw Error("kernel '" + std::string(spec_->name) + "': " + msg);
}

// Switches from the current context (`from`: the scheduler or a fiber) to
// `to` (null: the scheduler), with ASan's fiber-switch annotations.
void Scheduler::switch_to(Fiber* to, Context& from, bool from_dying) {
  detail::current = to ? &to->tc : nullptr;
  running_ = to;
  Context& target = to ? to->context : main_;
  if (to) ++stats.fiber_switches;
#if CUTRAIN_EMU_ASAN
  void* fake = nullptr;
  from_main_ = (&from == &main_);
  if (to)
    __sanitizer_start_switch_fiber(from_dying ? nullptr : &fake, to->stack, to->stack_size);
  else
    __sanitizer_start_switch_fiber(from_dying ? nullptr : &fake, main_bottom_, main_size_);
  switch_context(from, target);
  const void* prev_bottom = nullptr;
  std::size_t prev_size = 0;
  __sanitizer_finish_switch_fiber(fake, &prev_bottom, &prev_size);
  if (from_main_) {
    main_bottom_ = prev_bottom;
    main_size_ = prev_size;
  }
#else
  (void)from_dying;
  switch_context(from, target);
#endif
}

// From a fiber that stopped (waiting or done): on to the next fiber of the
// pass, or back to the scheduler once the pass is over or the block failed.
void Scheduler::switch_from_fiber(Fiber& f) {
  Fiber* next = nullptr;
  while (!error_ && pass_pos_ < pass_.size()) {
    Fiber& c = fibers_[static_cast<std::size_t>(pass_[pass_pos_++])];
    if (c.state == State::runnable) {
      next = &c;
      break;
    }
  }
  switch_to(next, f.context, f.state == State::done);
}

void Scheduler::fiber_main() {
  Scheduler* self = &for_this_thread();
#if CUTRAIN_EMU_ASAN
  const void* prev_bottom = nullptr;
  std::size_t prev_size = 0;
  __sanitizer_finish_switch_fiber(nullptr, &prev_bottom, &prev_size);
  if (self->from_main_) {
    self->main_bottom_ = prev_bottom;
    self->main_size_ = prev_size;
  }
#endif
  Fiber& f = *self->running_;
  try {
    self->entry_(self->args_);
  } catch (const Cancelled&) {
    // Unwound after the block failed elsewhere.
  } catch (...) {
    if (!self->error_) {
      self->error_ = std::current_exception();
      self->error_fiber_ = &f;
    }
  }
  f.state = State::done;
  self->switch_from_fiber(f);
  std::abort();  // a finished fiber is never resumed
}

// Called on the fiber: parks it (state already set) and returns once released.
void Scheduler::wait_here(Fiber& f) {
  switch_from_fiber(f);
  if (f.cancel) throw Cancelled{};
}

int Scheduler::block_barrier(BlockSync kind, int predicate) {
  Fiber& f = *running_;
  f.state = State::at_barrier;
  f.sync_kind = kind;
  f.predicate = predicate != 0;
  wait_here(f);
  return f.sync_result;
}

uint64_t Scheduler::warp_op(WarpOp op, unsigned mask, uint64_t value, int param, int width) {
  Fiber& f = *running_;
  f.state = State::at_warp_op;
  f.op = op;
  f.mask = mask;
  f.value = value;
  f.param = param;
  f.width = width;
  wait_here(f);
  return f.op_result;
}

void Scheduler::run_pass(std::vector<int>& order) {
  pass_.swap(order);
  pass_pos_ = 1;
  ++pass_count_;
  Fiber& first = fibers_[static_cast<std::size_t>(pass_[0])];
  for (int i : pass_) fibers_[static_cast<std::size_t>(i)].started = true;
  switch_to(&first, main_, false);
  pass_.swap(order);
}

// Unwinds every fiber still parked (so destructors on their stacks run) and
// marks those never started as done.
void Scheduler::cancel_all() {
  for (Fiber& f : fibers_) {
    if (f.state == State::done) continue;
    if (!f.started) {
      f.state = State::done;
      continue;
    }
    f.cancel = true;
    f.state = State::runnable;
    std::vector<int> one{f.linear};
    const std::exception_ptr saved = std::exchange(error_, nullptr);
    run_pass(one);
    error_ = saved;
  }
}

// Releases every warp group whose lanes all arrived; returns whether any was.
bool Scheduler::release_warp_groups() {
  bool released = false;
  const int n = static_cast<int>(fibers_.size());
  for (Fiber& f : fibers_) {
    if (f.state != State::at_warp_op) continue;
    const int lane = f.linear % 32, base = f.linear - lane;
    const std::string what = std::string(op_name(f.op)) + " (mask 0x" + [&] {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%08x", f.mask);
      return std::string(buf);
    }() + ") in " + where(f);
    if (!((f.mask >> lane) & 1u)) fail(what + ": the calling lane " + std::to_string(lane) + " is not in the mask");
    if (f.op != WarpOp::sync && f.op != WarpOp::ballot && f.op != WarpOp::any && f.op != WarpOp::all &&
        (f.width < 1 || f.width > 32 || (f.width & (f.width - 1)) != 0))
      fail(what + ": width " + std::to_string(f.width) + " is not a power of two in [1, 32]");
    bool complete = true;
    for (int l = 0; l < 32; ++l) {
      if (!((f.mask >> l) & 1u)) continue;
      if (base + l >= n)
        fail(what + ": the mask names lane " + std::to_string(l) + ", which does not exist in a block of " +
             std::to_string(n) + " threads");
      const Fiber& g = fibers_[static_cast<std::size_t>(base + l)];
      if (g.state == State::done)
        fail(what + ": lane " + std::to_string(l) + " of the mask has exited");
      if (g.state != State::at_warp_op || g.op != f.op || g.mask != f.mask || g.width != f.width) complete = false;
    }
    if (!complete) continue;
    // Everyone is here: compute the results before anyone runs on.
    uint32_t votes = 0;
    for (int l = 0; l < 32; ++l)
      if (((f.mask >> l) & 1u) && fibers_[static_cast<std::size_t>(base + l)].value != 0) votes |= 1u << l;
    for (int l = 0; l < 32; ++l) {
      if (!((f.mask >> l) & 1u)) continue;
      Fiber& g = fibers_[static_cast<std::size_t>(base + l)];
      const int w = g.width, seg = l & ~(w - 1);
      int src = l;
      switch (g.op) {
        case WarpOp::sync: g.op_result = 0; break;
        case WarpOp::ballot: g.op_result = votes; break;
        case WarpOp::any: g.op_result = votes != 0; break;
        case WarpOp::all: g.op_result = votes == f.mask; break;
        case WarpOp::shfl_idx: src = seg + (g.param & (w - 1)); break;
        case WarpOp::shfl_up: src = l - g.param >= seg ? l - g.param : l; break;
        case WarpOp::shfl_down: src = l + g.param < seg + w ? l + g.param : l; break;
        case WarpOp::shfl_xor: src = (l ^ g.param) < seg + w ? (l ^ g.param) : l; break;
      }
      if (g.op == WarpOp::shfl_idx || g.op == WarpOp::shfl_up || g.op == WarpOp::shfl_down ||
          g.op == WarpOp::shfl_xor) {
        if (src < 0 || src > 31 || !((f.mask >> src) & 1u))
          fail(what + ": lane " + std::to_string(l) + " reads lane " + std::to_string(src) +
               ", which is not in the mask");
        g.op_result = fibers_[static_cast<std::size_t>(base + src)].value;
      }
    }
    for (int l = 0; l < 32; ++l)
      if ((f.mask >> l) & 1u) fibers_[static_cast<std::size_t>(base + l)].state = State::runnable;
    ++stats.warp_syncs;
    released = true;
  }
  return released;
}

// Nothing is runnable: release warp groups, else the block barrier, else the
// block is finished or stuck (an error).
void Scheduler::release_or_fail() {
  if (release_warp_groups()) return;
  int at_barrier = 0, done = 0, count = 0;
  const Fiber* exited = nullptr;
  const Fiber* waiting = nullptr;
  const Fiber* warp_waiter = nullptr;
  for (const Fiber& f : fibers_) {
    if (f.state == State::done) {
      ++done;
      if (!exited) exited = &f;
    } else if (f.state == State::at_barrier) {
      ++at_barrier;
      count += f.predicate;
      if (!waiting) waiting = &f;
    } else if (f.state == State::at_warp_op && !warp_waiter) {
      warp_waiter = &f;
    }
  }
  const int n = static_cast<int>(fibers_.size());
  if (done == n) return;
  if (warp_waiter)
    fail(std::string(op_name(warp_waiter->op)) + " in " + where(*warp_waiter) +
         " can never complete: a lane of its mask waits at a different barrier or operation (deadlock)");
  if (done > 0)
    fail("divergent __syncthreads in block " + dim_str(block_idx_) + ": " + std::to_string(at_barrier) +
         " threads wait (e.g. thread " + dim_str(waiting->tc.thread_idx) + ") but " + std::to_string(done) +
         " have exited (e.g. thread " + dim_str(exited->tc.thread_idx) + ")");
  int result = 0;
  switch (fibers_[0].sync_kind) {
    case BlockSync::plain: break;
    case BlockSync::count: result = count; break;
    case BlockSync::all: result = count == n; break;
    case BlockSync::any: result = count != 0; break;
  }
  for (Fiber& f : fibers_) {
    f.sync_result = result;
    f.state = State::runnable;
  }
  ++stats.barriers;
}

void Scheduler::run_block(const uint3& block_idx) {
  block_idx_ = block_idx;
  const dim3 bd = spec_->block;
  const int n = static_cast<int>(bd.x * bd.y * bd.z);
  while (stacks_.size() < static_cast<std::size_t>(n)) stacks_.emplace_back(stack_bytes());
  fibers_.clear();
  fibers_.resize(static_cast<std::size_t>(n));
  if (spec_->dynamic_shared_bytes > 0)
    std::memset(dynamic_shared_.data(), 0xFF, spec_->dynamic_shared_bytes);  // NaN: catches uninitialised reads
  for (int i = 0; i < n; ++i) {
    Fiber& f = fibers_[static_cast<std::size_t>(i)];
    const auto u = static_cast<unsigned>(i);
    f.linear = i;
    f.tc.thread_idx = {u % bd.x, (u / bd.x) % bd.y, u / (bd.x * bd.y)};
    f.tc.block_idx = block_idx;
    f.tc.block_dim = bd;
    f.tc.grid_dim = spec_->grid;
    f.tc.dynamic_shared = spec_->dynamic_shared_bytes > 0 ? dynamic_shared_.data() : nullptr;
    f.stack = stacks_[static_cast<std::size_t>(i)].bottom();
    f.stack_size = stacks_[static_cast<std::size_t>(i)].size();
    make_context(f.context, template_uc_, f.stack, f.stack_size, &Scheduler::fiber_main);
  }
  const uint64_t block_linear =
      block_idx.x + static_cast<uint64_t>(spec_->grid.x) * (block_idx.y + static_cast<uint64_t>(spec_->grid.y) * block_idx.z);
  std::vector<int> order;
  order.reserve(static_cast<std::size_t>(n));
  for (uint64_t pass = 0;; ++pass) {
    order.clear();
    for (const Fiber& f : fibers_)
      if (f.state == State::runnable) order.push_back(f.linear);
    if (order.empty()) {
      release_or_fail();
      if (std::all_of(fibers_.begin(), fibers_.end(), [](const Fiber& f) { return f.state == State::done; }))
        break;
      continue;
    }
    if (order_.kind == ThreadOrder::reverse) {
      std::reverse(order.begin(), order.end());
    } else if (order_.kind == ThreadOrder::random) {
      std::mt19937_64 rng(mix(order_.seed ^ mix(block_linear ^ mix(pass))));
      std::shuffle(order.begin(), order.end(), rng);
    }
    run_pass(order);
    if (error_) {
      const Fiber* culprit = error_fiber_;
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(error_);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      error_ = nullptr;
      fail("exception in " + where(*culprit) + ": " + what);
    }
  }
  ++stats.blocks;
}

void Scheduler::run(const detail::LaunchSpec& spec, detail::KernelEntry entry, const void* args, ThreadOrder order) {
  CUTRAIN_CHECK(!active_ && detail::current == nullptr, "kernel '", spec.name,
                "': launching a kernel from inside a kernel is not supported (emulated build)");
  struct Active {
    Scheduler& s;
    ~Active() {
      s.active_ = false;
      s.spec_ = nullptr;
      s.fibers_.clear();
    }
  } guard{*this};
  active_ = true;
  spec_ = &spec;
  entry_ = entry;
  args_ = args;
  order_ = order;
  error_ = nullptr;
  error_fiber_ = nullptr;
  const std::size_t words = (spec.dynamic_shared_bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
  if (dynamic_shared_.size() < words) dynamic_shared_.resize(words);
  for (unsigned z = 0; z < spec.grid.z; ++z)
    for (unsigned y = 0; y < spec.grid.y; ++y)
      for (unsigned x = 0; x < spec.grid.x; ++x) run_block(uint3{x, y, z});
}

// ---- configuration -------------------------------------------------------------

std::mutex g_config_mu;
std::optional<ThreadOrder> g_order;
std::unordered_map<const void*, std::size_t> g_max_dynamic_shared;

}  // namespace

namespace detail {

int block_barrier(BlockSync kind, int predicate) {
  ctx("__syncthreads");
  return Scheduler::for_this_thread().block_barrier(kind, predicate);
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int param, int width) {
  ctx(op_name(op));
  return Scheduler::for_this_thread().warp_op(op, mask, value, param, width);
}

void launch(const LaunchSpec& spec, cudaStream_t stream, KernelEntry entry, KernelBody args) {
  const dim3 g = spec.grid, b = spec.block;
  const auto config = [&] {
    return std::string("grid (") + std::to_string(g.x) + "," + std::to_string(g.y) + "," + std::to_string(g.z) +
           "), block (" + std::to_string(b.x) + "," + std::to_string(b.y) + "," + std::to_string(b.z) + "), " +
           std::to_string(spec.dynamic_shared_bytes) + " bytes of dynamic shared memory";
  };
  CUTRAIN_CHECK(current == nullptr, "kernel '", spec.name,
                "': launching a kernel from inside a kernel is not supported (emulated build)");
  CUTRAIN_CHECK(g.x > 0 && g.y > 0 && g.z > 0 && b.x > 0 && b.y > 0 && b.z > 0, "kernel '", spec.name,
                "': invalid launch configuration: ", config(), ": every dimension must be > 0");
  const uint64_t threads = static_cast<uint64_t>(b.x) * b.y * b.z;
  CUTRAIN_CHECK(threads <= kMaxThreadsPerBlock, "kernel '", spec.name, "': invalid launch configuration: ",
                config(), ": ", threads, " threads per block (at most ", kMaxThreadsPerBlock, ")");
  CUTRAIN_CHECK(b.z <= kMaxBlockDimZ, "kernel '", spec.name, "': invalid launch configuration: ", config(),
                ": block z must be <= ", kMaxBlockDimZ);
  CUTRAIN_CHECK(g.x <= 0x7FFFFFFFu && g.y <= kMaxGridDimYZ && g.z <= kMaxGridDimYZ, "kernel '", spec.name,
                "': invalid launch configuration: ", config(), ": grid x must be < 2^31, y and z <= ", kMaxGridDimYZ);
  const std::size_t limit = max_dynamic_shared_bytes(spec.kernel);
  CUTRAIN_CHECK(spec.dynamic_shared_bytes <= limit, "kernel '", spec.name, "': invalid launch configuration: ",
                config(), ": the kernel's limit is ", limit,
                " bytes (raise it with CUTRAIN_SET_MAX_DYNAMIC_SHARED, up to ", kOptInMaxDynamicSharedBytes, ")");
  auto task = [spec, entry, args = std::move(args), order = thread_order()] {
    Scheduler::for_this_thread().run(spec, entry, args.get(), order);
  };
  if (stream == nullptr) {
    task();
  } else {
    stream_impl(stream)->enqueue(std::move(task));
  }
}

}  // namespace detail

SchedulerStats scheduler_stats() { return Scheduler::for_this_thread().stats; }

std::string ThreadOrder::str() const {
  switch (kind) {
    case forward: return "forward";
    case reverse: return "reverse";
    case random: return "random:" + std::to_string(seed);
  }
  return "?";
}

ThreadOrder ThreadOrder::parse(const std::string& text) {
  if (text == "forward") return {forward, 0};
  if (text == "reverse") return {reverse, 0};
  if (text == "random") return {random, 1};
  if (text.rfind("random:", 0) == 0 && text.size() > 7) {
    char* end = nullptr;
    const unsigned long long seed = std::strtoull(text.c_str() + 7, &end, 10);
    if (end != nullptr && *end == '\0') return {random, seed};
  }
  CUTRAIN_THROW("unknown emulated thread order '", text, "': expected forward, reverse or random:SEED");
}

ThreadOrder thread_order() {
  std::lock_guard<std::mutex> lock(g_config_mu);
  if (!g_order) {
    const char* env = std::getenv("CUTRAIN_EMU_ORDER");
    g_order = (env != nullptr && *env != '\0') ? ThreadOrder::parse(env) : ThreadOrder{};
  }
  return *g_order;
}

void set_thread_order(const ThreadOrder& order) {
  std::lock_guard<std::mutex> lock(g_config_mu);
  g_order = order;
}

void set_max_dynamic_shared_bytes(const void* kernel, std::size_t bytes) {
  CUTRAIN_CHECK(bytes <= kOptInMaxDynamicSharedBytes, "dynamic shared memory limit ", bytes,
                " bytes exceeds the device maximum of ", kOptInMaxDynamicSharedBytes);
  std::lock_guard<std::mutex> lock(g_config_mu);
  g_max_dynamic_shared[kernel] = bytes;
}

std::size_t max_dynamic_shared_bytes(const void* kernel) {
  std::lock_guard<std::mutex> lock(g_config_mu);
  const auto it = g_max_dynamic_shared.find(kernel);
  return it == g_max_dynamic_shared.end() ? kDefaultMaxDynamicSharedBytes
                                          : std::max(it->second, kDefaultMaxDynamicSharedBytes);
}

// ---- memory ---------------------------------------------------------------------

void* device_malloc(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (p == nullptr) throw OutOfMemoryError("emulated device_malloc of " + std::to_string(bytes) + " bytes failed");
  return p;
}

void device_free(void* p) { std::free(p); }

void memcpy_async(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (stream == nullptr) {
    if (bytes > 0) std::memcpy(dst, src, bytes);
    return;
  }
  stream_impl(stream)->enqueue([=] {
    if (bytes > 0) std::memcpy(dst, src, bytes);
  });
}

void memset_async(void* dst, int value, std::size_t bytes, cudaStream_t stream) {
  if (stream == nullptr) {
    if (bytes > 0) std::memset(dst, value, bytes);
    return;
  }
  stream_impl(stream)->enqueue([=] {
    if (bytes > 0) std::memset(dst, value, bytes);
  });
}

void stream_synchronize(cudaStream_t stream) {
  if (stream != nullptr) stream_impl(stream)->synchronize();
}

}  // namespace cutrain::emu
