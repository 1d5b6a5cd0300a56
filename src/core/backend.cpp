// The backend registry and the CPU backend.
#include "cutrain/core/backend.h"

#include <cstring>
#include <mutex>
#include <thread>

#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/error.h"

namespace cutrain {

std::shared_ptr<EventImpl> make_cpu_event();  // cpu_stream.cpp

namespace {

class CpuBackend final : public DeviceBackend {
 public:
  CpuBackend()
      : default_stream_(make_cpu_stream({.threaded = false})),
        allocator_(make_host_raw_allocator(), [] { return Event(make_cpu_event()); }) {}

  DeviceType type() const override { return DeviceType::cpu; }
  std::vector<DeviceInfo> infos() const override {
    const unsigned n = std::thread::hardware_concurrency();
    return {DeviceInfo{Device::cpu(), true, "CPU (" + std::to_string(n) + " threads)",
                       "reference backend, float and double"}};
  }
  Stream create_stream(int index) override {
    check_index(index);
    return make_cpu_stream({});
  }
  Stream default_stream(int index) override {
    check_index(index);
    return default_stream_;
  }
  Event create_event(int index) override {
    check_index(index);
    return Event(make_cpu_event());
  }
  CachingAllocator& allocator(int index) override {
    check_index(index);
    return allocator_;
  }
  void copy(void* dst, Device, const void* src, Device, std::size_t bytes,
            const Stream& stream) override {
    stream.enqueue([=] { std::memcpy(dst, src, bytes); });
  }
  void memset(void* dst, int value, std::size_t bytes, const Stream& stream) override {
    stream.enqueue([=] { std::memset(dst, value, bytes); });
  }

 private:
  static void check_index(int index) {
    CUTRAIN_CHECK(index == 0, "there is one CPU device (cpu:0); got cpu:", index);
  }
  Stream default_stream_;
  CachingAllocator allocator_;
};

struct Registry {
  std::mutex mu;
  std::vector<std::unique_ptr<DeviceBackend>> backends;
  // Self-registered backends not yet built (see BackendRegistrar).
  std::vector<std::pair<DeviceType, BackendFactory>> factories;
};

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;  // never destroyed: tensors may outlive static destruction order
    reg->backends.push_back(std::make_unique<CpuBackend>());
    return reg;
  }();
  return *r;
}

}  // namespace

void register_backend(std::unique_ptr<DeviceBackend> backend) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& b : r.backends)
    CUTRAIN_CHECK(b->type() != backend->type(), "backend registered twice");
  r.backends.push_back(std::move(backend));
}

void register_backend_factory(DeviceType type, BackendFactory factory) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& f : r.factories)
    CUTRAIN_CHECK(f.first != type, "backend registered twice");
  for (auto& b : r.backends)
    CUTRAIN_CHECK(b->type() != type, "backend registered twice");
  r.factories.emplace_back(type, factory);
}

DeviceBackend* find_backend(DeviceType type) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& b : r.backends)
    if (b->type() == type) return b.get();
  for (auto it = r.factories.begin(); it != r.factories.end(); ++it) {
    if (it->first != type) continue;
    // Built under the lock, once; a factory that throws stays listed and is
    // tried again on the next lookup (as std::call_once retries).
    std::unique_ptr<DeviceBackend> b = it->second();
    CUTRAIN_CHECK(b && b->type() == type, "backend factory built the wrong backend");
    r.factories.erase(it);
    r.backends.push_back(std::move(b));
    return r.backends.back().get();
  }
  return nullptr;
}

DeviceBackend& backend_for(Device device) {
  DeviceBackend* b = find_backend(device.type);
  if (!b) {
    CUTRAIN_THROW("device ", device.str(),
                  " is not available: this build of cutrain has no CUDA backend (configure with "
                  "-DCUTRAIN_CUDA=ON)");
  }
  if (device.is_cuda()) {
    bool ok = false;
    std::string why;
    for (const DeviceInfo& info : b->infos()) {
      if (info.device == device) {
        ok = info.available;
        why = info.description;
      }
    }
    CUTRAIN_CHECK(ok, "device ", device.str(), " is not available: ",
                  why.empty() ? "no such device" : why);
  }
  return *b;
}

std::vector<DeviceInfo> devices() {
  std::vector<DeviceInfo> out = find_backend(DeviceType::cpu)->infos();
  if (DeviceBackend* cuda = find_backend(DeviceType::cuda)) {
    for (auto& i : cuda->infos()) out.push_back(i);
  } else {
    out.push_back(DeviceInfo{Device::cuda(0), false, "CUDA",
                             "no CUDA device: this build has no CUDA backend"});
  }
  return out;
}

bool cuda_available() {
  for (const DeviceInfo& i : devices())
    if (i.device.is_cuda() && i.available) return true;
  return false;
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device Device::parse(const std::string& s) {
  if (s == "cpu" || s == "cpu:0") return Device::cpu();
  if (s == "cuda" || s == "gpu") return Device::cuda(0);
  if (s.rfind("cuda:", 0) == 0) {
    try {
      std::size_t used = 0;
      const int i = std::stoi(s.substr(5), &used);
      if (used == s.size() - 5 && i >= 0) return Device::cuda(i);
    } catch (const std::exception&) {
    }
  }
  CUTRAIN_THROW("unknown device '", s, "' (expected cpu, cuda or cuda:N)");
}

Stream Stream::create(Device device) { return backend_for(device).create_stream(device.index); }
Stream Stream::default_stream(Device device) {
  return backend_for(device).default_stream(device.index);
}
Event Event::create(Device device) { return backend_for(device).create_event(device.index); }

}  // namespace cutrain
