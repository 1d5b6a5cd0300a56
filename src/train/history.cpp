#include "cutrain/train/callbacks/history.h"

#include "cutrain/core/error.h"

namespace cutrain::train {

// Keras resets only the epoch list: a History reused across fits keeps
// appending to its metric lists.
void History::on_train_begin(Logs&) { epoch_.clear(); }

void History::on_epoch_end(int64_t epoch, Logs& logs) {
  epoch_.push_back(epoch);
  for (const auto& [k, v] : logs) history_[k].push_back(v);
}

const std::vector<double>& History::operator[](const std::string& key) const {
  auto it = history_.find(key);
  CUTRAIN_CHECK(it != history_.end(), "History has no key '", key, "'");
  return it->second;
}

}  // namespace cutrain::train
