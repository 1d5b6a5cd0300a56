#include "callback_flags.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "cutrain/core/error.h"

namespace cutrain::cli {
namespace {

std::vector<std::string> fields(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string f;
  while (std::getline(ss, f, ':')) out.push_back(f);
  if (!spec.empty() && spec.back() == ':') out.emplace_back();
  return out;
}

bool real(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

bool whole(const std::string& s, int64_t& v) {
  double d = 0;
  if (!real(s, d) || d < 0 || d != std::floor(d) || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  v = static_cast<int64_t>(d);
  return true;
}

CLI::Validator validator(std::string description, void (*parse)(const std::string&)) {
  return CLI::Validator(
      [parse](std::string& input) -> std::string {
        try {
          parse(input);
        } catch (const Error& e) {
          std::string m = e.what();
          if (auto p = m.find(" ["); p != std::string::npos) m.resize(p);  // no source location
          return m;
        }
        return {};
      },
      std::move(description));
}

}  // namespace

train::EarlyStoppingOptions parse_early_stopping(const std::string& spec) {
  const std::vector<std::string> f = fields(spec);
  train::EarlyStoppingOptions o;
  bool ok = (f.size() == 2 || f.size() == 3) && !f[0].empty() && whole(f[1], o.patience);
  if (ok && f.size() == 3) ok = real(f[2], o.min_delta) && o.min_delta >= 0;
  CUTRAIN_CHECK(ok, "must be MONITOR:PATIENCE[:MIN_DELTA] (patience an integer >= 0, min_delta a finite number >= 0), "
                "got '", spec, "'");
  o.monitor = f[0];
  return o;
}

train::ReduceLROnPlateauOptions parse_reduce_lr_on_plateau(const std::string& spec) {
  const std::vector<std::string> f = fields(spec);
  train::ReduceLROnPlateauOptions o;
  const bool ok = f.size() == 3 && !f[0].empty() && real(f[1], o.factor) && o.factor > 0 && o.factor < 1 &&
                  whole(f[2], o.patience);
  CUTRAIN_CHECK(ok, "must be MONITOR:FACTOR:PATIENCE (factor in (0, 1), patience an integer >= 0), got '", spec,
                "'");
  o.monitor = f[0];
  return o;
}

CLI::Validator early_stopping_check() {
  return validator("MONITOR:PATIENCE[:MIN_DELTA]", [](const std::string& s) { parse_early_stopping(s); });
}

CLI::Validator reduce_lr_on_plateau_check() {
  return validator("MONITOR:FACTOR:PATIENCE", [](const std::string& s) { parse_reduce_lr_on_plateau(s); });
}

}  // namespace cutrain::cli
