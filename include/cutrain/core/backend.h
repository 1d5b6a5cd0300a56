// DeviceBackend: what a device type provides to the core (streams, events,
// allocator, copies). The CPU backend is built in; the CUDA backend registers
// itself when compiled in. Nothing outside core and the backends uses this
// directly: Tensor, Stream and Event go through it.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/core/stream.h"

namespace cutrain {

class CachingAllocator;

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual DeviceType type() const = 0;
  virtual std::vector<DeviceInfo> infos() const = 0;
  virtual Stream create_stream(int index) = 0;
  virtual Stream default_stream(int index) = 0;
  virtual Event create_event(int index) = 0;
  virtual CachingAllocator& allocator(int index) = 0;
  // Byte copy in stream order. One of dst/src lives on this backend's device,
  // the other on it or on the host.
  virtual void copy(void* dst, Device dst_device, const void* src, Device src_device,
                    std::size_t bytes, const Stream& stream) = 0;
  virtual void memset(void* dst, int value, std::size_t bytes, const Stream& stream) = 0;
};

// Registry (the one global of core). Returns nullptr when the type is absent.
DeviceBackend* find_backend(DeviceType type);
// Throws a clear error naming the device when it is absent or unavailable.
DeviceBackend& backend_for(Device device);
void register_backend(std::unique_ptr<DeviceBackend> backend);

// A backend other than the CPU's registers itself from its own translation
// unit with a static BackendRegistrar: core names no backend. The factory
// runs on the first find_backend of its type (not at static initialisation),
// so a process that never asks for the device never initialises its driver.
using BackendFactory = std::unique_ptr<DeviceBackend> (*)();
void register_backend_factory(DeviceType type, BackendFactory factory);
struct BackendRegistrar {
  BackendRegistrar(DeviceType type, BackendFactory factory) { register_backend_factory(type, factory); }
};

}  // namespace cutrain
