// `cutrain gradcheck [--op NAME | --all] [--seeds N]`: runs the built-in
// gradient-check cases in double precision and prints, per op and case, the
// max relative error for inputs and for parameters. Exits 1 on any failure.
#include <cstdio>
#include <map>

#include "commands.h"
#include "cutrain/graph/gradcheck_cases.h"
#include "cutrain/ops/op.h"

namespace cutrain::cli {

namespace {

struct GradcheckArgs {
  std::string op;
  bool all = false;
  int seeds = 3;
};

int run_gradcheck(const GradcheckArgs& a) {
  if (a.op.empty() && !a.all) {
    std::fprintf(stderr, "cutrain gradcheck: give --op NAME or --all\n");
    return 2;
  }
  if (!a.op.empty() && !ops::OpRegistry::global().has(a.op)) {
    std::fprintf(stderr, "cutrain gradcheck: unknown op '%s'\n", a.op.c_str());
    return 2;
  }
  std::printf("%-30s %-28s %5s %12s %12s %8s %8s  %s\n", "op", "case", "seed", "inputs", "params", "checked",
              "skipped", "result");
  int failures = 0, runs = 0;
  for (int k = 0; k < a.seeds; ++k) {
    const uint64_t seed = 11 + static_cast<uint64_t>(k);
    for (const auto& c : graph::builtin_gradcheck_cases(seed)) {
      if (!a.all && c.op != a.op) continue;
      const auto r = graph::check_op_gradients(c.op, c.inputs, c.attrs, c.options);
      ++runs;
      if (!r.ok) ++failures;
      std::printf("%-30s %-28s %5llu %12.3e %12.3e %8lld %8lld  %s\n", c.op.c_str(), c.label.c_str(),
                  static_cast<unsigned long long>(seed), r.max_rel_error_inputs, r.max_rel_error_params,
                  static_cast<long long>(r.checked), static_cast<long long>(r.skipped), r.ok ? "ok" : "FAIL");
      if (!r.ok) std::printf("%s", r.detail.c_str());
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "cutrain gradcheck: op '%s' has no built-in case\n", a.op.c_str());
    return 2;
  }
  std::printf("%d passed, %d failed\n", runs - failures, failures);
  return failures ? 1 : 0;
}

}  // namespace

Command make_gradcheck_command(CLI::App& app) {
  auto args = std::make_shared<GradcheckArgs>();
  CLI::App* sub = app.add_subcommand("gradcheck", "check every op's backward rule against central differences (double)");
  sub->add_option("--op", args->op, "the op to check (see the table of `--all`)");
  sub->add_flag("--all", args->all, "check every op with a backward rule");
  sub->add_option("--seeds", args->seeds, "random seeds per case")->check(CLI::Range(1, 100));
  return {sub, [args] { return run_gradcheck(*args); }};
}

}  // namespace cutrain::cli
