// Both executors add the failing node's name to an error thrown by its kernel
// and keep the error's type (an OutOfMemoryError stays one, so a caller can
// retry with a smaller batch), and the kernel's own message survives.
#include <gtest/gtest.h>

#include <string>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/ops/op.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

// test_fail_oom / test_fail_write / test_fail_plain: y = x's spec; the CPU
// kernel throws at once (not on a stream), as an allocation inside a kernel does.
template <typename E>
void register_failing_op(const std::string& name) {
  ops::OpRegistry& r = ops::OpRegistry::global();
  if (r.has(name)) return;
  ops::OpSchema s;
  s.name = name;
  s.infer = [](const ops::Attrs&, const std::vector<ops::TensorSpec>& in) { return in; };
  s.kernels[DeviceType::cpu] = [name](const ops::OpContext&, const std::vector<Tensor>&, const std::vector<Tensor>&) {
    throw E(name + ": the kernel failed on purpose");
  };
  r.add(std::move(s));
}

void register_failing_ops() {
  register_failing_op<OutOfMemoryError>("test_fail_oom");
  register_failing_op<WriteError>("test_fail_write");
  register_failing_op<Error>("test_fail_plain");
}

struct Failing {
  Graph g;
  Value x, y;
  explicit Failing(const std::string& op) {
    register_failing_ops();
    x = g.input("x", {Shape({2, 3}), DType::f32});
    y = g.apply1(op, {x}, {}, "block_1/" + op);
  }
  Tensor feed() const {
    Tensor t = Tensor::empty({2, 3}, DType::f32);
    t.fill(1.0);
    return t;
  }
};

// Runs `run` and returns the message of the E it must throw.
template <typename E, typename F>
std::string message_of(F run) {
  try {
    run();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

template <typename E>
void expect_both_executors_keep(const std::string& op) {
  Failing f(op);
  const std::string want_kernel = op + ": the kernel failed on purpose";
  const std::string want_node = "(in node 'block_1/" + op + "')";

  graph::Executor plain(f.g, Device::cpu());
  const std::string m1 = message_of<E>([&] { plain.run({{f.x, f.feed()}}, {f.y}, graph::kTraining); });
  EXPECT_NE(m1.find(want_kernel), std::string::npos) << m1;
  EXPECT_NE(m1.find(want_node), std::string::npos) << m1;

  graph::PlannedExecutor planned(f.g, Device::cpu());
  const std::string m2 = message_of<E>([&] { planned.run({{f.x, f.feed()}}, {f.y}, graph::kTraining); });
  EXPECT_NE(m2.find(want_kernel), std::string::npos) << m2;
  EXPECT_NE(m2.find(want_node), std::string::npos) << m2;
}

}  // namespace

TEST(ExecutorErrors, OutOfMemoryStaysOutOfMemoryWithTheNodeName) {
  expect_both_executors_keep<OutOfMemoryError>("test_fail_oom");
}

TEST(ExecutorErrors, WriteErrorStaysWriteError) { expect_both_executors_keep<WriteError>("test_fail_write"); }

TEST(ExecutorErrors, PlainErrorNamesTheNode) {
  expect_both_executors_keep<Error>("test_fail_plain");
  // A plain Error is not promoted to a subtype.
  Failing f("test_fail_plain");
  graph::Executor plain(f.g, Device::cpu());
  EXPECT_THROW(
      {
        try {
          plain.run({{f.x, f.feed()}}, {f.y}, graph::kTraining);
        } catch (const OutOfMemoryError&) {
          throw std::logic_error("promoted to OutOfMemoryError");
        }
      },
      Error);
}
