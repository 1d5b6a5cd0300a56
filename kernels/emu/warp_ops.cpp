// Warp operations of the emulated GPU: a warp group is released once every
// lane of its mask waits at the same operation, and the results of shuffles
// and votes are computed before any lane runs on.
#include <cstdio>
#include <string>

#include "emu/scheduler.h"

namespace cutrain::emu::internal {

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

}  // namespace cutrain::emu::internal
