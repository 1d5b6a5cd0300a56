// CSVLogger: one row per epoch (Keras 3).
//
// The columns are fixed at the first epoch end: "epoch" then the log keys
// sorted; when none of them starts with "val_", "val_<key>" columns are added
// for every key, so validation that starts later still has a column. Epochs
// are 0-based; a key missing from an epoch's logs is written "NA"; values are
// written as Python's repr (python_float_repr). Each row is flushed. With
// append=true the file is opened for appending and the header is written only
// if the file is missing or its first line is empty; when fit resumes from a
// backup (BackupAndRestore, before this logger in the list), the rows of the
// epochs it redoes are dropped first, so the log has each epoch once. Every write, flush and
// close is checked: a full disk or an I/O error throws cutrain::WriteError
// naming the file and the errno text (never a silently empty log).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cutrain/io/csv.h"
#include "cutrain/train/callback.h"

namespace cutrain::train {

class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false);

  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

 private:
  void write_row(const std::vector<std::string>& fields);
  void drop_rows_from(int64_t first_epoch);

  std::string filename_;
  char sep_;
  bool append_;
  bool write_header_ = true;
  bool header_done_ = false;
  std::vector<std::string> keys_;
  bool keys_set_ = false;
  std::unique_ptr<io::CsvWriter> file_;
};

}  // namespace cutrain::train
