#include "cutrain/train/format_path.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "cutrain/core/error.h"
#include "cutrain/train/logs.h"

namespace cutrain::train {
namespace {

struct Spec {
  char fill = ' ';
  char align = 0;  // 0: default for the type
  char sign = '-';
  int width = 0;
  int precision = -1;
  char type = 0;
};

Spec parse_spec(std::string_view s, std::string_view pattern) {
  Spec sp;
  std::size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '=' || c == '^'; };
  if (s.size() >= 2 && is_align(s[1])) {
    sp.fill = s[0];
    sp.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    sp.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == '#') ++i;  // alternate form changes nothing we print
  if (i < s.size() && s[i] == '0') {
    if (!sp.align) {
      sp.fill = '0';
      sp.align = '=';
    }
    ++i;
  }
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
    sp.width = sp.width * 10 + (s[i++] - '0');
  if (i < s.size() && s[i] == '.') {
    ++i;
    CUTRAIN_CHECK(i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])),
                  "format spec '", s, "' in path '", pattern, "': precision expected after '.'");
    sp.precision = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      sp.precision = sp.precision * 10 + (s[i++] - '0');
  }
  if (i < s.size()) sp.type = s[i++];
  CUTRAIN_CHECK(i == s.size(), "unsupported format spec '", s, "' in path '", pattern, "'");
  return sp;
}

std::string printf_double(const char* fmt, int precision, double v) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, precision, v);
  return buf;
}

// The digits of |v| (no sign) per the spec's type.
std::string body(const FormatValue& value, const Spec& sp, std::string_view pattern) {
  const bool is_int = std::holds_alternative<int64_t>(value);
  const double d = is_int ? static_cast<double>(std::get<int64_t>(value)) : std::get<double>(value);
  const double a = std::fabs(d);
  switch (sp.type) {
    case 0:
      if (is_int) return std::to_string(std::llabs(std::get<int64_t>(value)));
      if (sp.precision < 0) {
        std::string r = python_float_repr(a);
        return r;
      }
      return printf_double("%.*g", sp.precision == 0 ? 1 : sp.precision, a);
    case 'd':
      CUTRAIN_CHECK(is_int, "Unknown format code 'd' for a float value in path '", pattern,
                    "' (use .Nf for metrics)");
      return std::to_string(std::llabs(std::get<int64_t>(value)));
    case 'f':
    case 'F':
      return printf_double(sp.type == 'f' ? "%.*f" : "%.*F", sp.precision < 0 ? 6 : sp.precision, a);
    case 'e':
    case 'E':
      return printf_double(sp.type == 'e' ? "%.*e" : "%.*E", sp.precision < 0 ? 6 : sp.precision, a);
    case 'g':
    case 'G': {
      const int p = sp.precision < 0 ? 6 : (sp.precision == 0 ? 1 : sp.precision);
      return printf_double(sp.type == 'g' ? "%.*g" : "%.*G", p, a);
    }
    case '%':
      return printf_double("%.*f", sp.precision < 0 ? 6 : sp.precision, a * 100.0) + "%";
    default:
      CUTRAIN_THROW("unsupported format type '", sp.type, "' in path '", pattern, "'");
  }
}

std::string format_one(const FormatValue& value, const Spec& sp, std::string_view pattern) {
  const bool is_int = std::holds_alternative<int64_t>(value);
  const bool negative =
      is_int ? std::get<int64_t>(value) < 0 : std::signbit(std::get<double>(value));
  std::string digits = body(value, sp, pattern);
  std::string sign;
  if (negative)
    sign = "-";
  else if (sp.sign == '+')
    sign = "+";
  else if (sp.sign == ' ')
    sign = " ";
  const int len = static_cast<int>(sign.size() + digits.size());
  const int pad = sp.width > len ? sp.width - len : 0;
  const char align = sp.align ? sp.align : '>';
  const std::string fill(static_cast<std::size_t>(pad), sp.fill);
  switch (align) {
    case '<':
      return sign + digits + fill;
    case '=':
      return sign + fill + digits;
    case '^': {
      const std::string left(static_cast<std::size_t>(pad / 2), sp.fill);
      const std::string right(static_cast<std::size_t>(pad - pad / 2), sp.fill);
      return left + sign + digits + right;
    }
    default:
      return fill + sign + digits;
  }
}

}  // namespace

std::string format_path(std::string_view pattern, const std::map<std::string, FormatValue>& values) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '}') {
      CUTRAIN_CHECK(i + 1 < pattern.size() && pattern[i + 1] == '}',
                    "single '}' in path '", pattern, "'");
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    const auto close = pattern.find('}', i);
    CUTRAIN_CHECK(close != std::string_view::npos, "unclosed '{' in path '", pattern, "'");
    const std::string_view field = pattern.substr(i + 1, close - i - 1);
    const auto colon = field.find(':');
    const std::string name(field.substr(0, colon));
    CUTRAIN_CHECK(!name.empty(), "positional field '{}' in path '", pattern,
                  "': name a log key, e.g. {epoch:02d}");
    auto it = values.find(name);
    CUTRAIN_CHECK(it != values.end(), "Failed to format this callback filepath: \"", pattern,
                  "\". Reason: no value named '", name, "'");
    const Spec sp = colon == std::string_view::npos ? Spec{} : parse_spec(field.substr(colon + 1), pattern);
    out += format_one(it->second, sp, pattern);
    i = close;
  }
  return out;
}

}  // namespace cutrain::train
