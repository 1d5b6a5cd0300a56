#include "cutrain/train/progbar.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace cutrain::train {
namespace {

constexpr const char* kBarChar = "\xe2\x94\x81";  // U+2501 '━'

// Terminal columns of a UTF-8 string without escape sequences.
std::size_t columns(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string repeat(const char* s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string count_str(int64_t current, int64_t target) {
  const int digits = static_cast<int>(std::floor(std::log10(static_cast<double>(target)))) + 1;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%*lld/%lld", digits, static_cast<long long>(current),
                static_cast<long long>(target));
  return buf;
}

}  // namespace

Clock steady_clock_seconds() {
  return [] {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
  };
}

Progbar::Progbar(ProgbarOptions options, std::ostream& out, Clock clock)
    : opt_(std::move(options)), out_(out), clock_(clock ? std::move(clock) : steady_clock_seconds()) {
  start_ = clock_();
}

std::string Progbar::format_eta(double eta) {
  char buf[64];
  const auto e = static_cast<long long>(eta);  // Python's "%d" truncates
  if (eta > 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", e / 3600, (e % 3600) / 60, e % 60);
  else if (eta > 60)
    std::snprintf(buf, sizeof buf, "%lld:%02lld", e / 60, e % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", e);
  return buf;
}

std::string Progbar::format_time_per_unit(double t, const std::string& unit) {
  char buf[64];
  if (t >= 1 || t == 0)
    std::snprintf(buf, sizeof buf, "%.0fs/%s", t, unit.c_str());
  else if (t >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.0fms/%s", t * 1e3, unit.c_str());
  else
    std::snprintf(buf, sizeof buf, "%.0fus/%s", t * 1e6, unit.c_str());
  return buf;
}

double Progbar::estimate_step_duration(int64_t current, double now) {
  if (current == 0) return 0;
  double t;
  if (time_after_first_step_ && current > 1)
    t = (now - *time_after_first_step_) / static_cast<double>(current - 1);
  else
    t = (now - start_) / static_cast<double>(current);
  if (current == 1) time_after_first_step_ = now;
  return t;
}

void Progbar::update(int64_t current, const Logs& values, std::optional<bool> finalize_opt) {
  const bool known = opt_.target > 0;
  const bool finalize = finalize_opt ? *finalize_opt : (known && current >= opt_.target);
  values_.update(values);
  const double now = clock_();
  const double per_unit = estimate_step_duration(current, now);
  char buf[64];

  if (opt_.verbose == 1) {
    if (now - last_update_ < opt_.interval && !finalize) return;
    std::string visible;  // text without escapes, for the width
    std::string message = "\r";
    if (known) {
      const std::string count = count_str(current, opt_.target);
      const int done = static_cast<int>(opt_.width * (static_cast<double>(current) / opt_.target));
      const std::string bar_done = repeat(kBarChar, done);
      const std::string bar_rest = repeat(kBarChar, opt_.width - done);
      visible = count + " " + bar_done + bar_rest;
      if (opt_.ansi) {
        message += "\x1b[1m" + count + "\x1b[0m ";
        if (done > 0) message += "\x1b[32m" + bar_done + "\x1b[0m";
        message += "\x1b[37m" + bar_rest + "\x1b[0m";
      } else {
        message += visible;
      }
    } else {
      std::snprintf(buf, sizeof buf, "%7lld/Unknown", static_cast<long long>(current));
      visible = buf;
      message += visible;
    }
    std::string info;
    if (known && !finalize) {
      info = " ETA " + format_eta(per_unit * static_cast<double>(opt_.target - current));
    } else {
      std::snprintf(buf, sizeof buf, " %.0fs", now - start_);
      info = buf;
    }
    info += " - " + format_time_per_unit(per_unit, opt_.unit_name);
    if (!values_.empty()) info += " - " + values_.str();
    visible += info;
    message += info;
    const std::size_t width = columns(visible);
    if (prev_total_width_ > width) message += std::string(prev_total_width_ - width, ' ');
    if (finalize) message += "\n";
    out_ << message << std::flush;
    prev_total_width_ = width;
  } else if (opt_.verbose == 2) {
    if (finalize && known) {
      std::snprintf(buf, sizeof buf, " - %.0fs", now - start_);
      std::string line = count_str(current, opt_.target) + buf;
      line += " - " + format_time_per_unit(per_unit, opt_.unit_name);
      if (!values_.empty()) line += " - " + values_.str();
      out_ << line << "\n" << std::flush;
    }
  }
  last_update_ = now;
}

}  // namespace cutrain::train
