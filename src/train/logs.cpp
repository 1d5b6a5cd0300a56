#include "cutrain/train/logs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cutrain/core/error.h"

namespace cutrain::train {

Logs::Logs(std::initializer_list<Entry> entries) {
  for (const auto& [k, v] : entries) set(k, v);
}

void Logs::set(std::string_view key, double value) {
  for (auto& e : entries_) {
    if (e.first == key) {
      e.second = value;
      return;
    }
  }
  entries_.emplace_back(std::string(key), value);
}

bool Logs::contains(std::string_view key) const { return get(key).has_value(); }

std::optional<double> Logs::get(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.first == key) return e.second;
  return std::nullopt;
}

double Logs::at(std::string_view key) const {
  auto v = get(key);
  if (!v) {
    std::string avail;
    for (const auto& e : entries_) avail += (avail.empty() ? "" : ",") + e.first;
    CUTRAIN_THROW("no log entry '", key, "' (available: ", avail, ")");
  }
  return *v;
}

bool Logs::erase(std::string_view key) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.first == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

std::vector<std::string> Logs::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

std::vector<std::string> Logs::sorted_keys() const {
  auto out = keys();
  std::sort(out.begin(), out.end());
  return out;
}

void Logs::update(const Logs& other, std::string_view prefix) {
  for (const auto& [k, v] : other) set(std::string(prefix) + k, v);
}

std::string Logs::str() const {
  std::string out;
  for (const auto& [k, v] : entries_) {
    if (!out.empty()) out += " - ";
    out += k + ": " + format_metric_value(v);
  }
  return out;
}

std::string format_metric_value(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, std::fabs(v) > 1e-3 ? "%.4f" : "%.4e", v);
  return buf;
}

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form: "d.ddde±XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const auto epos = sci.find('e');
  std::string digits = sci.substr(0, epos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::atoi(sci.c_str() + epos + 1);
  const int decpt = exp10 + 1;  // digits[0] sits just left of this position
  const int nd = static_cast<int>(digits.size());
  std::string out = v < 0 ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (nd > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    return out + e;
  }
  if (decpt <= 0) return out + "0." + std::string(-decpt, '0') + digits;
  if (decpt >= nd) return out + digits + std::string(decpt - nd, '0') + ".0";
  return out + digits.substr(0, decpt) + "." + digits.substr(decpt);
}

void LogsAverager::add(const Logs& batch_logs, double weight) {
  for (const auto& [k, v] : batch_logs) {
    auto it = std::find_if(sums_.begin(), sums_.end(), [&](const Sum& s) { return s.key == k; });
    if (it == sums_.end()) {
      sums_.push_back({k, 0, 0});
      it = sums_.end() - 1;
    }
    it->weighted += v * weight;
    it->weight += weight;
  }
}

Logs LogsAverager::average() const {
  Logs out;
  for (const auto& s : sums_) out.set(s.key, s.weight > 0 ? s.weighted / s.weight : 0.0);
  return out;
}

}  // namespace cutrain::train
