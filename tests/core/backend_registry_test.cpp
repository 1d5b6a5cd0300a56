// Backends register themselves (BackendRegistrar); core builds them lazily.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cutrain/core/backend.h"
#include "cutrain/core/error.h"

using namespace cutrain;

#if CUTRAIN_WITH_CUDA

// The CUDA backend's registrar lives in a translation unit nothing else
// references; if the static library's link dropped it, CUDA would be absent.
TEST(BackendRegistry, CudaBackendRegistersItself) {
  DeviceBackend* b = find_backend(DeviceType::cuda);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type(), DeviceType::cuda);
  EXPECT_EQ(find_backend(DeviceType::cuda), b);
}

#else

namespace {

int built = 0;

// Stands in for a device backend: only the registry's bookkeeping is tested.
class FakeBackend final : public DeviceBackend {
 public:
  DeviceType type() const override { return DeviceType::cuda; }
  std::vector<DeviceInfo> infos() const override { return {}; }
  Stream create_stream(int) override { CUTRAIN_THROW("fake"); }
  Stream default_stream(int) override { CUTRAIN_THROW("fake"); }
  Event create_event(int) override { CUTRAIN_THROW("fake"); }
  CachingAllocator& allocator(int) override { CUTRAIN_THROW("fake"); }
  void copy(void*, Device, const void*, Device, std::size_t, const Stream&) override {}
  void memset(void*, int, std::size_t, const Stream&) override {}
};

std::unique_ptr<DeviceBackend> make_fake() {
  ++built;
  return std::make_unique<FakeBackend>();
}

// In a child process: registering a CUDA stand-in must not leak into the other tests.
[[noreturn]] void register_and_look_up() {
  if (find_backend(DeviceType::cuda) != nullptr) std::exit(10);  // CPU-only build: none yet
  const BackendRegistrar registrar(DeviceType::cuda, &make_fake);
  if (built != 0) std::exit(11);  // registering builds nothing
  DeviceBackend* b = find_backend(DeviceType::cuda);
  if (b == nullptr || b->type() != DeviceType::cuda || built != 1) std::exit(12);
  if (find_backend(DeviceType::cuda) != b || built != 1) std::exit(13);  // built once
  try {
    register_backend_factory(DeviceType::cuda, &make_fake);  // the type is built: refused
  } catch (const Error&) {
    std::exit(0);
  }
  std::exit(14);
}

}  // namespace

TEST(BackendRegistry, FactoryRunsOnFirstLookupOnly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(register_and_look_up(), ::testing::ExitedWithCode(0), "");
}

TEST(BackendRegistry, SecondFactoryOfATypeIsRefused) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        register_backend_factory(DeviceType::cuda, &make_fake);
        try {
          register_backend_factory(DeviceType::cuda, &make_fake);
        } catch (const Error&) {
          std::exit(0);
        }
        std::exit(1);
      },
      ::testing::ExitedWithCode(0), "");
}

#endif
