// Every op with a backward rule has a case in the built-in table and passes
// the double-precision check (max relative error <= 1e-6) on three seeds.
#include <gtest/gtest.h>

#include <set>

#include "cutrain/graph/gradcheck_cases.h"
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

TEST(GradcheckAll, EveryDifferentiableOpHasACase) {
  std::set<std::string> covered;
  for (const auto& c : graph::builtin_gradcheck_cases(1)) covered.insert(c.op);
  std::string missing;
  for (const std::string& name : ops::OpRegistry::global().names()) {
    // Ops that tests register for themselves (test_*, user_*) are not built in.
    const bool test_op = name.rfind("test_", 0) == 0 || name.rfind("user_", 0) == 0;
    if (graph::GradientRegistry::global().has(name) && !covered.count(name) && !test_op) missing += " " + name;
  }
  EXPECT_TRUE(missing.empty()) << "ops with a backward rule but no gradcheck case:" << missing;
}

class GradcheckAllSeeds : public ::testing::TestWithParam<uint64_t> {};

TEST_P(GradcheckAllSeeds, EveryCasePasses) {
  for (const auto& c : graph::builtin_gradcheck_cases(GetParam())) {
    const auto r = graph::check_op_gradients(c.op, c.inputs, c.attrs, c.options);
    EXPECT_TRUE(r.ok) << c.op << " (" << c.label << ")\n" << r.detail;
    EXPECT_LE(std::max(r.max_rel_error_inputs, r.max_rel_error_params), 1e-6) << c.op << " " << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, GradcheckAllSeeds, ::testing::Values(11u, 12u, 13u));
