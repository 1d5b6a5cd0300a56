// Logs: the metrics of a batch or an epoch, name -> value, in insertion order.
//
// Keras passes a dict to every callback; the order in which keys first appear
// is the order the progress bar shows them ("loss" before "accuracy"), so Logs
// keeps insertion order instead of sorting. Callbacks receive Logs by mutable
// reference, as Keras shares one dict: ReduceLROnPlateau adds "learning_rate"
// and History, CSVLogger and the progress bar after it see that key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cutrain::train {

class Logs {
 public:
  using Entry = std::pair<std::string, double>;

  Logs() = default;
  Logs(std::initializer_list<Entry> entries);

  // Sets `key` (kept at its first position when it already exists).
  void set(std::string_view key, double value);
  bool contains(std::string_view key) const;
  std::optional<double> get(std::string_view key) const;
  double at(std::string_view key) const;  // throws cutrain::Error when absent
  bool erase(std::string_view key);
  void clear() { entries_.clear(); }

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;          // insertion order
  std::vector<std::string> sorted_keys() const;   // lexicographic
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // Copies every entry of `other` (overwriting equal keys), optionally
  // prefixing the names ("val_" for validation logs).
  void update(const Logs& other, std::string_view prefix = {});

  // "loss: 0.4123 - accuracy: 0.8510" (Keras display rule: 4 decimals, or
  // 4-digit scientific when |v| <= 1e-3).
  std::string str() const;

  bool operator==(const Logs& o) const { return entries_ == o.entries_; }

 private:
  std::vector<Entry> entries_;
};

// Python's repr() of a float: shortest round-trip digits, "1.0" for integral
// values, exponent form below 1e-4 and from 1e16 ("1e-05", "1.5e+16"), "nan",
// "inf". CSVLogger writes values this way, as Python's csv module does.
std::string python_float_repr(double v);

// The Keras progress-bar rendering of one metric value (see Logs::str).
std::string format_metric_value(double v);

// Accumulates batch logs into epoch logs: each key's average weighted by the
// batch size, as Keras' Mean metrics do over an epoch.
class LogsAverager {
 public:
  // One key's running sums: average = weighted / weight.
  struct Sum {
    std::string key;
    double weighted = 0;
    double weight = 0;
  };

  void add(const Logs& batch_logs, double weight);
  Logs average() const;  // keys in first-seen order
  void reset() { sums_.clear(); }
  bool empty() const { return sums_.empty(); }
  // The sums themselves, so a mid-epoch backup resumes the same averages
  // (BackupAndRestore).
  const std::vector<Sum>& sums() const { return sums_; }
  void restore(std::vector<Sum> sums) { sums_ = std::move(sums); }

 private:
  std::vector<Sum> sums_;
};

}  // namespace cutrain::train
