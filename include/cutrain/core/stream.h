// Stream and Event: ordered queues of device work and the points that
// synchronize them, with one interface for the CPU and for CUDA.
//
// A Stream runs its work in order; work on different streams may overlap.
// Event::record(s) marks the point reached by s so far; Stream::wait(e) makes
// later work on the stream wait for that point; Event::query() tells whether
// it has been passed. The CPU implementation keeps exactly these rules (an
// in-order queue per stream, events as completion flags), so the executor and
// the allocator's cross-stream logic are tested on machines without a GPU.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "cutrain/core/device.h"

namespace cutrain {

class EventImpl;
class CapturedWorkImpl;

// Shared ownership from `this` lets recorded stream work (stream_capture.h)
// keep the streams and events it replays alive.
class StreamImpl : public std::enable_shared_from_this<StreamImpl> {
 public:
  virtual ~StreamImpl() = default;
  virtual Device device() const = 0;
  // Blocks the calling thread until all work queued so far has finished.
  // Rethrows the first error raised by queued work (CPU streams).
  virtual void synchronize() = 0;
  // Later work on this stream starts only after `e` (as last recorded) completed.
  virtual void wait(EventImpl& e) = 0;
  // Queues a host function in stream order. CPU: runs it on the stream;
  // CUDA: cudaLaunchHostFunc (must not call CUDA).
  virtual void enqueue(std::function<void()> fn) = 0;
  // cudaStream_t for CUDA streams, nullptr for CPU streams.
  virtual void* native_handle() const { return nullptr; }
  // Stream capture (stream_capture.h); the default says the stream has none.
  virtual void begin_capture();
  virtual std::shared_ptr<CapturedWorkImpl> end_capture();
  // Ends a capture after an error, dropping what was recorded.
  virtual void abort_capture();
  virtual bool capturing() const { return false; }
  // Process-unique id, stable for the stream's lifetime (allocator pools key on it).
  uint64_t id() const { return id_; }

 protected:
  StreamImpl();

 private:
  uint64_t id_;
};

class EventImpl : public std::enable_shared_from_this<EventImpl> {
 public:
  virtual ~EventImpl() = default;
  virtual void record(StreamImpl& s) = 0;
  // True when the last recorded point has been passed (or nothing was recorded).
  virtual bool query() = 0;
  virtual void synchronize() = 0;
  virtual void* native_handle() const { return nullptr; }
};

class Event;

// A cheap, copyable handle to a stream.
class Stream {
 public:
  Stream() = default;
  explicit Stream(std::shared_ptr<StreamImpl> impl) : impl_(std::move(impl)) {}

  // A new stream on `device` (CPU streams run on a worker thread).
  static Stream create(Device device);
  // The device's default stream (CPU: runs work inline on the calling thread).
  static Stream default_stream(Device device);

  Device device() const { return impl_->device(); }
  void synchronize() const { impl_->synchronize(); }
  void wait(const Event& e) const;
  void enqueue(std::function<void()> fn) const { impl_->enqueue(std::move(fn)); }
  void* native_handle() const { return impl_->native_handle(); }
  uint64_t id() const { return impl_->id(); }
  StreamImpl& impl() const { return *impl_; }
  bool valid() const { return impl_ != nullptr; }
  bool operator==(const Stream& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<StreamImpl> impl_;
};

class Event {
 public:
  Event() = default;
  explicit Event(std::shared_ptr<EventImpl> impl) : impl_(std::move(impl)) {}
  static Event create(Device device);

  void record(const Stream& s) const { impl_->record(s.impl()); }
  bool query() const { return impl_->query(); }
  void synchronize() const { impl_->synchronize(); }
  EventImpl& impl() const { return *impl_; }
  const std::shared_ptr<EventImpl>& shared() const { return impl_; }
  bool valid() const { return impl_ != nullptr; }

 private:
  std::shared_ptr<EventImpl> impl_;
};

inline void Stream::wait(const Event& e) const { impl_->wait(e.impl()); }

// CPU streams: options for testing thread orders.
struct CpuStreamOptions {
  bool threaded = true;      // false: run work inline on the enqueuing thread
  uint64_t jitter_seed = 0;  // non-zero: random short delays before each task, to vary interleavings
};
Stream make_cpu_stream(const CpuStreamOptions& options);

}  // namespace cutrain
