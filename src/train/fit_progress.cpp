#include "cutrain/train/fit_progress.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "cutrain/core/error.h"

namespace cutrain::train {
namespace {

using nlohmann::json;

// JSON has no NaN or infinities; a backup taken as a loss overflows must
// still load (and TerminateOnNaN decides what happens next).
json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double number(const json& j, const std::string& source) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  CUTRAIN_THROW(source, ": '", j.dump(), "' is not a number");
}

}  // namespace

std::string fit_progress_json(const FitProgress& p) {
  json j;
  j["format"] = "cutrain fit progress 1";
  j["run"] = {{"batch_size", p.run.batch_size},       {"steps_per_epoch", p.run.steps_per_epoch},
              {"train_samples", p.run.train_samples}, {"world_size", p.run.world_size},
              {"seed", p.run.seed},                   {"shuffle", p.run.shuffle}};
  j["epoch"] = p.epoch;
  j["step"] = p.step;
  j["pass_epoch"] = p.pass_epoch;
  j["cursor"] = p.cursor;
  j["seen"] = number(p.seen);
  json avg = json::array();
  for (const LogsAverager::Sum& s : p.averages)
    avg.push_back({{"key", s.key}, {"weighted", number(s.weighted)}, {"weight", number(s.weight)}});
  j["averages"] = avg;
  json metrics = json::array();
  for (const auto& [key, values] : p.metrics) {
    json v = json::array();
    for (double x : values) v.push_back(number(x));
    metrics.push_back({{"key", key}, {"variables", v}});
  }
  j["metrics"] = metrics;
  j["checkpoint"] = p.checkpoint;
  return j.dump(1);
}

FitProgress parse_fit_progress(const std::string& text, const std::string& source) {
  const json j = json::parse(text, nullptr, false);
  CUTRAIN_CHECK(!j.is_discarded() && j.is_object(), source, ": not a JSON object");
  CUTRAIN_CHECK(j.value("format", "") == "cutrain fit progress 1", source,
                ": not a cutrain fit progress file (format '", j.value("format", ""), "')");
  FitProgress p;
  try {
    const json& r = j.at("run");
    p.run = FitRun{.batch_size = r.at("batch_size").get<int64_t>(),
                   .steps_per_epoch = r.at("steps_per_epoch").get<int64_t>(),
                   .train_samples = r.at("train_samples").get<int64_t>(),
                   .world_size = r.at("world_size").get<int64_t>(),
                   .seed = r.at("seed").get<uint64_t>(),
                   .shuffle = r.at("shuffle").get<bool>()};
    p.checkpoint = j.at("checkpoint").get<std::string>();
    p.epoch = j.at("epoch").get<int64_t>();
    p.step = j.at("step").get<int64_t>();
    p.pass_epoch = j.at("pass_epoch").get<int64_t>();
    p.cursor = j.at("cursor").get<int64_t>();
    p.seen = number(j.at("seen"), source);
    for (const json& s : j.at("averages"))
      p.averages.push_back({s.at("key").get<std::string>(), number(s.at("weighted"), source),
                            number(s.at("weight"), source)});
    for (const json& m : j.at("metrics")) {
      std::vector<double> v;
      for (const json& x : m.at("variables")) v.push_back(number(x, source));
      p.metrics.emplace_back(m.at("key").get<std::string>(), std::move(v));
    }
  } catch (const json::exception& e) {
    CUTRAIN_THROW(source, ": ", e.what());
  }
  CUTRAIN_CHECK(p.epoch >= 0 && p.step >= 0 && p.step <= p.run.steps_per_epoch && p.cursor >= 0 &&
                    p.pass_epoch >= -1 && p.pass_epoch <= p.epoch,
                source, ": inconsistent position (epoch ", p.epoch, ", step ", p.step, " of ", p.run.steps_per_epoch,
                ", pass of epoch ", p.pass_epoch, ", cursor ", p.cursor, ")");
  return p;
}

void check_same_run(const FitRun& saved, const FitRun& now, const std::string& source) {
  const auto field = [&](const char* name, auto a, auto b) {
    CUTRAIN_CHECK(a == b, source, " was written by a fit with ", name, " ", a, ", this fit has ", b,
                  ": it cannot resume here (remove the backup to start over)");
  };
  field("batch_size", saved.batch_size, now.batch_size);
  field("steps_per_epoch", saved.steps_per_epoch, now.steps_per_epoch);
  field("train_samples", saved.train_samples, now.train_samples);
  field("world_size", saved.world_size, now.world_size);
  field("seed", saved.seed, now.seed);
  field("shuffle", saved.shuffle, now.shuffle);
}

}  // namespace cutrain::train
