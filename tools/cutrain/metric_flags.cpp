#include "metric_flags.h"

#include <charconv>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/train/metric_set.h"

namespace cutrain::cli {
namespace {

std::vector<std::string> split(const std::string& spec) {
  std::vector<std::string> items;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) items.push_back(item);
  if (!spec.empty() && spec.back() == ',') items.emplace_back();
  return items;
}

}  // namespace

std::vector<std::string> split_metric_names(const std::string& spec) {
  std::vector<std::string> names = split(spec);
  for (const std::string& n : names) CUTRAIN_CHECK(!n.empty(), "an empty metric name in '", spec, "'");
  return names;
}

CLI::Validator metric_names_check() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        try {
          train::check_metric_names(split_metric_names(input), {});
        } catch (const Error& e) {
          std::string m = e.what();
          if (auto p = m.find(" ["); p != std::string::npos) m.resize(p);  // no source location
          return "got '" + input + "': " + m;
        }
        return {};
      },
      "METRIC[,METRIC...]");
}

ValidationFreq parse_validation_freq(const std::string& spec) {
  std::vector<int64_t> values;
  for (const std::string& item : split(spec)) {
    int64_t v = 0;
    const auto r = std::from_chars(item.data(), item.data() + item.size(), v);
    CUTRAIN_CHECK(r.ec == std::errc() && r.ptr == item.data() + item.size() && v >= 1,
                  "must be an integer >= 1 or a list of 1-based epochs, got '", spec, "'");
    values.push_back(v);
  }
  CUTRAIN_CHECK(!values.empty(), "must be an integer >= 1 or a list of 1-based epochs, got '", spec, "'");
  ValidationFreq f;
  if (values.size() == 1 && spec.find(',') == std::string::npos)
    f.freq = values[0];
  else
    f.epochs = values;
  return f;
}

CLI::Validator validation_freq_check() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        try {
          parse_validation_freq(input);
        } catch (const Error& e) {
          std::string m = e.what();
          if (auto p = m.find(" ["); p != std::string::npos) m.resize(p);
          return m;
        }
        return {};
      },
      "N|E1,E2,...");
}

}  // namespace cutrain::cli
