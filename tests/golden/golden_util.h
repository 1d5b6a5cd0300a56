// Golden tests: PyTorch's outputs and gradients, made at test time by
// tests/fixtures/make_fixtures.py (one python run per test process, every case
// at once, into a temporary folder), loaded with io::load_safetensors and
// compared with cutrain's CPU backend in float64 and float32.
//
// Error measure: normwise relative, max_i |a_i - r_i| / max_i |r_i| (absolute
// when the reference is all zeros). Elementwise relative error would blow up on
// entries that cancel to near zero (a gradient component, a centred
// activation), which says nothing about the op. The references are float64,
// computed from inputs that are exact float32 values, so the float32 run's
// error is cutrain's own float32 rounding. Every comparison prints its error.
//
// Without python3 or PyTorch the tests skip with the reason; a script that
// runs but fails is a test failure.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "cutrain/core/tensor.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/nn/inception_v3.h"

namespace golden {

using cutrain::DType;
using cutrain::Tensor;

inline constexpr double kTolF64 = 1e-10;
inline constexpr double kTolF32 = 1e-5;
inline constexpr double kTolF32Conv = 1e-4;  // long dot products in float

inline double tolerance(DType dt, bool conv = false) {
  return dt == DType::f64 ? kTolF64 : (conv ? kTolF32Conv : kTolF32);
}

inline const char* dtype_label(DType dt) { return dt == DType::f64 ? "f64" : "f32"; }

// One fixture file: tensors and the case's attributes.
struct Case {
  std::string name;
  cutrain::io::TensorMap tensors;
  cutrain::io::Metadata meta;

  bool has(const std::string& key) const { return tensors.count(key) != 0; }
  // The tensor `key` in `dt` (floating tensors) or as stored (integer tensors).
  Tensor get(const std::string& key, DType dt = DType::f64) const {
    auto it = tensors.find(key);
    if (it == tensors.end()) throw std::runtime_error("golden case " + name + ": no tensor '" + key + "'");
    const Tensor& t = it->second;
    if (!cutrain::is_floating(t.dtype())) return t.clone();
    return t.dtype() == dt ? t.clone() : t.to(dt);
  }
  const std::string& attr(const std::string& key) const {
    auto it = meta.find(key);
    if (it == meta.end()) throw std::runtime_error("golden case " + name + ": no attribute '" + key + "'");
    return it->second;
  }
  double f(const std::string& key) const { return std::stod(attr(key)); }
  int64_t i(const std::string& key) const { return std::stoll(attr(key)); }
  std::vector<int64_t> ints(const std::string& key) const {
    std::vector<int64_t> out;
    std::stringstream ss(attr(key));
    for (std::string part; std::getline(ss, part, ',');) out.push_back(std::stoll(part));
    return out;
  }
};

enum class FixtureStatus { ok, skip, error };

struct Fixtures {
  FixtureStatus status = FixtureStatus::error;
  std::string message;  // why skipped or failed
  std::filesystem::path dir;

  Fixtures() = default;
  Fixtures(const Fixtures&) = delete;  // the destructor removes `dir`
  Fixtures& operator=(const Fixtures&) = delete;
  ~Fixtures() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::filesystem::path fixture_script() {
  if (const char* src = std::getenv("CUTRAIN_SOURCE_DIR"))
    return std::filesystem::path(src) / "tests" / "fixtures" / "make_fixtures.py";
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / "make_fixtures.py";
}

// Runs the script once per process. Interpreters tried in order: $CUTRAIN_PYTHON,
// /usr/bin/python3 (Debian's, which has python3-torch), python3 on PATH. Exit
// status 3 (no torch) or 127 (no interpreter) moves on to the next.
inline void make_fixtures(Fixtures& fx) {
  const std::filesystem::path script = fixture_script();
  if (!std::filesystem::exists(script)) {
    fx.status = FixtureStatus::error;
    fx.message = "fixture script not found at " + script.string();
    return;
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "cutrain_golden_XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    fx.message = "cannot create a temporary folder";
    return;
  }
  fx.dir = tmpl;
  std::vector<std::string> pythons;
  if (const char* p = std::getenv("CUTRAIN_PYTHON")) pythons.emplace_back(p);
  pythons.emplace_back("/usr/bin/python3");
  pythons.emplace_back("python3");
  std::string reasons;
  const std::filesystem::path err = fx.dir / "stderr.txt";
  for (const std::string& py : pythons) {
    if (py.find('/') != std::string::npos && !std::filesystem::exists(py)) {
      reasons += py + ": not found; ";
      continue;
    }
    const std::string cmd = "'" + py + "' '" + script.string() + "' --case all --out '" + fx.dir.string() +
                            "' > '" + err.string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    const int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (code == 0) {
      fx.status = FixtureStatus::ok;
      return;
    }
    std::string out = read_text(err);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (code == 3 || code == 127) {
      reasons += py + ": " + (out.empty() ? "exit " + std::to_string(code) : out) + "; ";
      continue;
    }
    fx.status = FixtureStatus::error;
    fx.message = "fixture script failed (" + cmd + ", exit " + std::to_string(code) + "):\n" + out;
    return;
  }
  fx.status = FixtureStatus::skip;
  fx.message = "no python3 with PyTorch (" + reasons + "set CUTRAIN_PYTHON to one)";
}

inline const Fixtures& fixtures() {
  static Fixtures fx;
  static const bool made = (make_fixtures(fx), true);
  (void)made;
  return fx;
}

// Non-empty when the script skipped the case (a missing optional module).
inline std::string case_skip_reason(const std::string& name) {
  const std::filesystem::path p = fixtures().dir / (name + ".skip");
  return std::filesystem::exists(p) ? read_text(p) : std::string();
}

inline Case load_case(const std::string& name) {
  const auto contents = cutrain::io::load_safetensors((fixtures().dir / (name + ".safetensors")).string());
  return Case{name, contents.tensors, contents.metadata};
}

inline double max_abs(const Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::fabs(t.flat(i)));
  return m;
}

// Normwise relative error (see the top of this file); infinity on NaN.
inline double max_rel_error(const Tensor& actual, const Tensor& ref) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double a = actual.flat(i), r = ref.flat(i);
    if (!std::isfinite(a)) return INFINITY;
    diff = std::max(diff, std::fabs(a - r));
    scale = std::max(scale, std::fabs(r));
  }
  return scale > 0 ? diff / scale : diff;
}

// Compares, prints the error and records it as a test property.
inline void expect_close(const Case& c, const std::string& what, DType dt, const Tensor& actual,
                         const Tensor& ref, double tol) {
  ASSERT_EQ(actual.shape(), ref.shape()) << c.name << " " << what;
  const double err = max_rel_error(actual, ref);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3e", err);
  std::cout << "[ golden   ] " << c.name << " " << what << " " << dtype_label(dt) << ": max rel err " << buf
            << " (tol " << tol << ")" << std::endl;
  ::testing::Test::RecordProperty(c.name + "." + what + "." + dtype_label(dt), buf);
  EXPECT_LE(err, tol) << c.name << " " << what << " " << dtype_label(dt);
}

inline void expect_close(const Case& c, const std::string& what, DType dt, const Tensor& actual,
                         const std::string& ref_key, double tol) {
  expect_close(c, what, dt, actual, c.get(ref_key), tol);
}

// nn::inception_v3 as torchvision builds it (gamma in batch norm, include-pad
// 3x3 average pools, dropout off), sized by the fixture's input, every value
// left for the fixture's converted weights.
inline cutrain::nn::InceptionV3Options torchvision_inception_options(const Case& c, const cutrain::Tensor& input,
                                                                     bool aux, cutrain::DType dt) {
  cutrain::nn::InceptionV3Options o;
  o.num_classes = c.i("classes");
  o.image_size = input.dim(1);
  o.batch_size = input.dim(0);
  o.create_aux_logits = aux;
  o.dropout_keep_prob = 1.0;
  o.bn_gamma = true;
  o.torchvision_pools = true;
  o.initialize = false;
  o.dtype = dt;
  return o;
}

}  // namespace golden

// Declares `const golden::Case var` for fixture `name`, skipping the test when
// PyTorch is unavailable and failing it when the script failed.
#define GOLDEN_CASE(var, name)                                                         \
  const ::golden::Fixtures& var##_fixtures = ::golden::fixtures();                    \
  if (var##_fixtures.status == ::golden::FixtureStatus::skip) GTEST_SKIP() << var##_fixtures.message; \
  if (var##_fixtures.status == ::golden::FixtureStatus::error) FAIL() << var##_fixtures.message;      \
  if (const std::string var##_skip = ::golden::case_skip_reason(name); !var##_skip.empty())          \
    GTEST_SKIP() << var##_skip;                                                        \
  const ::golden::Case var = ::golden::load_case(name)
