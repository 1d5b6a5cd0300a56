#include "cutrain/train/callbacks/csv_logger.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "cutrain/core/error.h"
#include "cutrain/io/atomic_file.h"
#include "cutrain/train/fit_progress.h"

namespace cutrain::train {

CSVLogger::CSVLogger(std::string filename, char separator, bool append)
    : filename_(std::move(filename)), sep_(separator), append_(append) {}

// A run resumed from a backup (BackupAndRestore) taken before the last rows
// were written redoes epochs the log already has: their rows are dropped,
// so the log has each epoch once, as an uninterrupted run's.
// The file is rewritten atomically and only when a row goes.
void CSVLogger::drop_rows_from(int64_t first_epoch) {
  std::ifstream in(filename_, std::ios::binary);
  if (!in) return;
  std::string text, line;
  bool dropped = false, header = true;
  while (std::getline(in, line)) {
    if (!header) {
      const std::string field = line.substr(0, line.find(sep_));
      char* end = nullptr;
      const long long epoch = std::strtoll(field.c_str(), &end, 10);
      if (!field.empty() && *end == '\0' && epoch >= first_epoch) {
        dropped = true;
        continue;
      }
    }
    header = false;
    text += line;
    if (!in.eof()) text += '\n';
  }
  CUTRAIN_CHECK(!in.bad(), "CSVLogger: error reading ", filename_);
  in.close();
  if (dropped) io::write_file_atomic(filename_, [&](io::FileSink& f) { f.write(text.data(), text.size()); });
}

void CSVLogger::on_train_begin(Logs&) {
  write_header_ = true;
  if (append_) {
    if (const FitProgress* p = fit_progress(); p && p->resumed) drop_rows_from(p->epoch);
    std::ifstream in(filename_);
    if (in) {
      std::string first;
      std::getline(in, first);
      write_header_ = first.empty();
    }
  }
  file_.reset();
  io::CsvOptions o;
  o.separator = sep_;
  // Python's csv module ends rows with \r\n by default; Keras 3 opens the
  // file in text mode, so on POSIX the row ends "\r\n". We write "\n" only.
  o.line_terminator = "\n";
  o.append = append_;
  file_ = std::make_unique<io::CsvWriter>(filename_, o);
  header_done_ = false;
}

void CSVLogger::write_row(const std::vector<std::string>& fields) {
  file_->write_row(fields);
  file_->flush();  // each row reaches the file (and a full disk shows) at once
}

void CSVLogger::on_epoch_end(int64_t epoch, Logs& logs) {
  CUTRAIN_CHECK(file_ != nullptr, "CSVLogger: on_epoch_end before on_train_begin");
  if (!keys_set_) {
    keys_ = logs.sorted_keys();
    const bool has_val = std::any_of(keys_.begin(), keys_.end(),
                                     [](const std::string& k) { return k.starts_with("val_"); });
    if (!has_val) {
      const auto n = keys_.size();
      for (std::size_t i = 0; i < n; ++i) keys_.push_back("val_" + keys_[i]);
    }
    keys_set_ = true;
  }
  if (!header_done_) {
    if (write_header_) {
      std::vector<std::string> header{"epoch"};
      header.insert(header.end(), keys_.begin(), keys_.end());
      write_row(header);
    }
    header_done_ = true;
  }
  std::vector<std::string> row{std::to_string(epoch)};
  for (const auto& k : keys_) {
    const auto v = logs.get(k);
    row.push_back(v ? python_float_repr(*v) : "NA");
  }
  write_row(row);
}

void CSVLogger::on_train_end(Logs&) {
  if (file_) file_->close();
  file_.reset();
}

}  // namespace cutrain::train
