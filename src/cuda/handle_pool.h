// Library handles (cuBLAS, cuDNN) pooled per (device, host thread), after
// PyTorch's DeviceThreadHandlePool.
//
// Why per thread: a handle carries mutable state (its stream, math mode,
// workspace), so two host threads that share one must serialise every call
// on a lock and re-set the stream under it. A handle of its own per thread
// needs no lock; the op sets the handle to its stream on each call, because
// one thread runs ops on several streams.
//
// Why a pool: threads come and go (loader workers, executors' stream
// workers, tests); creating a handle costs milliseconds and device memory,
// so a thread that ends returns its handles to the pool and the next thread
// on that device reuses them.
//
// Lifetime: every handle is owned by exactly one RAII `Owned`: in a thread's
// window while the thread lives, else in the pool's free list. The pool is a
// process static held by shared_ptr, so a thread that outlives static
// teardown keeps it (and its handles) alive. It is created on the first
// request for a handle, which comes after the op's stream exists and the CUDA
// runtime is initialised, so it is destroyed (with its handles) before the
// runtime's own exit handler runs. Nothing is leaked on purpose.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "cutrain/cuda/check.h"

namespace cutrain::cuda {

// Traits: `using Handle = ...;` `static Handle create();` (throws on failure,
// with the calling thread's current device set to the handle's device) and
// `static int destroy(Handle) noexcept` (0 on success, else the library's
// status, reported on stderr: a destructor cannot throw); `kName`.
template <typename Traits>
class HandlePool {
 public:
  using Handle = typename Traits::Handle;

  // The calling thread's handle on `device`, created there on first use.
  static Handle for_this_thread(int device) {
    thread_local Window window(pool());
    return window.get(device);
  }

 private:
  // One handle, destroyed with it. Movable, not copyable.
  class Owned {
   public:
    explicit Owned(Handle h) : h_(h) {}
    Owned(Owned&& o) noexcept : h_(std::exchange(o.h_, Handle{})) {}
    Owned& operator=(Owned&& o) noexcept {
      if (this != &o) {
        reset();
        h_ = std::exchange(o.h_, Handle{});
      }
      return *this;
    }
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;
    ~Owned() { reset(); }
    Handle get() const { return h_; }

   private:
    void reset() noexcept {
      if (h_ == Handle{}) return;
      const int status = Traits::destroy(std::exchange(h_, Handle{}));
      if (status != 0)
        std::fprintf(stderr, "cutrain: destroying a %s handle failed (status %d)\n", Traits::kName, status);
    }
    Handle h_{};
  };

  struct Pool {
    std::mutex mu;
    std::map<int, std::vector<Owned>> free;  // by device

    Owned take(int device) {
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = free.find(device);
        if (it != free.end() && !it->second.empty()) {
          Owned h = std::move(it->second.back());
          it->second.pop_back();
          return h;
        }
      }
      return Owned(create_on(device));
    }
    void give_back(int device, Owned h) {
      std::lock_guard<std::mutex> lock(mu);
      free[device].push_back(std::move(h));
    }
  };

  // Makes `device` current while a handle is created on it, then restores
  // the thread's device (also when creation throws).
  static Handle create_on(int device) {
    struct Guard {
      int previous = 0, device = 0;
      ~Guard() {
        if (previous != device) cudaSetDevice(previous);
      }
    } guard;
    CUDA_CHECK(cudaGetDevice(&guard.previous));
    guard.device = guard.previous;
    if (guard.previous != device) {
      CUDA_CHECK(cudaSetDevice(device));
      guard.device = device;
    }
    return Traits::create();
  }

  // The handles one thread holds, returned to the pool when the thread ends.
  class Window {
   public:
    explicit Window(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {}
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;
    ~Window() {
      for (auto& [device, h] : mine_) pool_->give_back(device, std::move(h));
    }
    Handle get(int device) {
      auto it = mine_.find(device);
      if (it == mine_.end()) it = mine_.emplace(device, pool_->take(device)).first;
      return it->second.get();
    }

   private:
    std::shared_ptr<Pool> pool_;
    std::map<int, Owned> mine_;
  };

  static std::shared_ptr<Pool> pool() {
    static const std::shared_ptr<Pool> p = std::make_shared<Pool>();
    return p;
  }
};

}  // namespace cutrain::cuda
