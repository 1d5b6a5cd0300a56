#include "flag_checks.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "cutrain/core/error.h"

namespace cutrain::cli {

namespace {

// Whole-string parses: "1.5x" or "" are not numbers (std::stod would take the prefix).
bool parse_real(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

bool parse_integer(const std::string& s, int64_t& out) {
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;
  const auto r = std::from_chars(first, last, out);
  return r.ec == std::errc() && r.ptr == last && first != last;
}

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

CLI::Validator real_validator(std::string description, bool (*ok)(double, double, double), double lo,
                              double hi) {
  CLI::Validator v(
      [description, ok, lo, hi](std::string& input) -> std::string {
        double x = 0;
        if (!parse_real(input, x) || !std::isfinite(x) || !ok(x, lo, hi))
          return "must be " + description + ", got '" + input + "'";
        return {};
      },
      description);
  return v;
}

CLI::Validator integer_validator(std::string description, int64_t lo, int64_t hi) {
  return CLI::Validator(
      [description, lo, hi](std::string& input) -> std::string {
        int64_t x = 0;
        if (!parse_integer(input, x) || x < lo || x > hi) return "must be " + description + ", got '" + input + "'";
        return {};
      },
      description);
}

}  // namespace

CLI::Validator finite_in(double lo, double hi) {
  return real_validator("a finite number in [" + num(lo) + ", " + num(hi) + "]",
                        [](double x, double l, double h) { return x >= l && x <= h; }, lo, hi);
}

CLI::Validator finite_at_least(double lo) {
  return real_validator("a finite number >= " + num(lo), [](double x, double l, double) { return x >= l; }, lo, 0);
}

CLI::Validator finite_above(double lo) {
  return real_validator("a finite number > " + num(lo), [](double x, double l, double) { return x > l; }, lo, 0);
}

CLI::Validator integer_in(int64_t lo, int64_t hi) {
  return integer_validator("an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", lo, hi);
}

CLI::Validator integer_at_least(int64_t lo) {
  return integer_validator("an integer >= " + std::to_string(lo), lo, INT64_MAX);
}

int max_cpu_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return 4 * static_cast<int>(cores > 0 ? cores : 1);
}

CLI::Validator threads_check() {
  const int hi = max_cpu_threads();
  return integer_validator("an integer in [0, " + std::to_string(hi) + "] (0: library default; at most 4 x " +
                               std::to_string(hi / 4) + " cores)",
                           0, hi);
}

std::map<int64_t, double> parse_class_weight(const std::string& spec) {
  std::map<int64_t, double> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto colon = item.find(':');
    CUTRAIN_CHECK(colon != std::string::npos, "--class-weight: '", item, "' is not LABEL:WEIGHT");
    int64_t label = 0;
    double weight = 0;
    CUTRAIN_CHECK(parse_integer(item.substr(0, colon), label) && label >= 0, "--class-weight: '", item,
                  "': the label must be an integer >= 0");
    CUTRAIN_CHECK(parse_real(item.substr(colon + 1), weight) && std::isfinite(weight) && weight >= 0,
                  "--class-weight: '", item, "': the weight must be a finite number >= 0");
    CUTRAIN_CHECK(out.emplace(label, weight).second, "--class-weight: label ", label, " is given twice");
  }
  return out;
}

void check_class_weight(const std::map<int64_t, double>& weights, int num_classes) {
  for (const auto& [label, w] : weights)
    CUTRAIN_CHECK(label < num_classes, "--class-weight: label ", label, " is not a class of the data set (",
                  num_classes, " classes: 0 to ", num_classes - 1, ")");
}

}  // namespace cutrain::cli
