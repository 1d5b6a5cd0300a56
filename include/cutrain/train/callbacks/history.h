// History: every epoch's logs, one list per key (Keras model.history).
//
// A key that first appears in a later epoch gets a shorter list, as in Keras;
// epoch() says which epoch each full-length entry belongs to.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cutrain/train/callback.h"

namespace cutrain::train {

class History : public Callback {
 public:
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;

  const std::vector<int64_t>& epoch() const { return epoch_; }
  const std::map<std::string, std::vector<double>>& history() const { return history_; }
  const std::vector<double>& operator[](const std::string& key) const;  // throws when absent
  bool contains(const std::string& key) const { return history_.count(key) != 0; }

 private:
  std::vector<int64_t> epoch_;
  std::map<std::string, std::vector<double>> history_;
};

}  // namespace cutrain::train
