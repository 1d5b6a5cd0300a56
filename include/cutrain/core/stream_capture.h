// Stream capture: record the work a region of code enqueues on streams once,
// then replay it as a whole, on CUDA (a CUDA graph) and on the CPU (an
// emulation with the same rules, so the code that captures is tested on
// machines without a GPU).
//
// begin_capture(s) puts stream s in capture mode: work enqueued on it
// (kernels, host functions, copies, event records, waits) is recorded, not
// run. Another stream joins the capture when it waits on an event recorded
// on a capturing stream during the capture, and from then on its work is
// recorded too. end_capture(s) on the stream the capture began on returns the
// recorded work; every stream that joined must have been joined back (s
// waited on an event recorded on it after its last recorded work), as CUDA
// requires. replay() enqueues the whole recorded work again, on the same
// streams, in the same order, with the same cross-stream events.
//
// Rules kept on both backends (CUDA enforces them; the CPU emulation throws
// so the same mistakes fail in CI): no Stream::synchronize of a capturing
// stream; no Event::query/synchronize of an event recorded in the capture; no
// waiting, inside the capture, on an event recorded outside it. Values that
// change between replays must be read from memory by the recorded work
// (cutrain/ops/step_scalars.h), and every buffer it touches must stay alive
// and in place as long as the recorded work exists (CPU: the recorded
// closures hold their tensors; CUDA: the caching allocator's capture pools).
//
// Captures are per thread: the thread that began one does the enqueueing
// (CUDA: cudaStreamCaptureModeThreadLocal, so other threads are unaffected).
#pragma once

#include <memory>

#include "cutrain/core/stream.h"

namespace cutrain {

class CapturedWorkImpl {
 public:
  virtual ~CapturedWorkImpl() = default;
  virtual void replay() = 0;
};

// Replayable recorded stream work (a CUDA graph exec, or the CPU's list).
class CapturedWork {
 public:
  CapturedWork() = default;
  explicit CapturedWork(std::shared_ptr<CapturedWorkImpl> impl) : impl_(std::move(impl)) {}
  bool valid() const { return impl_ != nullptr; }
  // Enqueues the recorded work again (asynchronous, like any stream work).
  void replay() const { impl_->replay(); }

 private:
  std::shared_ptr<CapturedWorkImpl> impl_;
};

void begin_capture(const Stream& origin);
CapturedWork end_capture(const Stream& origin);
// Ends the capture begun on `origin` after an error; nothing recorded survives.
void abort_capture(const Stream& origin);

}  // namespace cutrain
