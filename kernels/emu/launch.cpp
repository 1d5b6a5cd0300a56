// Launching an emulated kernel: the launch configuration is validated
// against the device limits (emu/runtime.h) and the grid runs on the
// stream's worker (or inline on the null stream); the thread order and the
// per-kernel dynamic shared memory limits are process-wide configuration.
#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "cutrain/core/error.h"
#include "emu/scheduler.h"

namespace cutrain::emu {

namespace {

std::mutex g_config_mu;
std::optional<ThreadOrder> g_order;
std::unordered_map<const void*, std::size_t> g_max_dynamic_shared;

}  // namespace

namespace detail {

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
    internal::Scheduler::for_this_thread().run(spec, entry, args.get(), order);
  };
  if (stream == nullptr) {
    task();
  } else {
    stream_impl(stream)->enqueue(std::move(task));
  }
}

}  // namespace detail

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

}  // namespace cutrain::emu
