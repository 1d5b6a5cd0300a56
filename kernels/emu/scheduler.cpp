// The passes of a block, the block barrier and the unwinding of a failed
// block (the rules are in scheduler.h).
#include "emu/scheduler.h"

#include <algorithm>
#include <random>

#include "cutrain/core/error.h"

namespace cutrain::emu {

namespace detail {

thread_local constinit ThreadContext* current = nullptr;

void outside_kernel(const char* what) {
  CUTRAIN_THROW(what, " used outside a kernel (emulated build)");
}

}  // namespace detail

namespace internal {

std::string dim_str(const uint3& v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

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

}  // namespace internal

namespace detail {

int block_barrier(BlockSync kind, int predicate) {
  ctx("__syncthreads");
  return internal::Scheduler::for_this_thread().block_barrier(kind, predicate);
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int param, int width) {
  ctx(internal::op_name(op));
  return internal::Scheduler::for_this_thread().warp_op(op, mask, value, param, width);
}

}  // namespace detail

SchedulerStats scheduler_stats() { return internal::Scheduler::for_this_thread().stats; }

}  // namespace cutrain::emu
