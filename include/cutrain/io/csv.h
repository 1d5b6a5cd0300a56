// CSV rows with Python csv module quoting (the "excel" dialect that Keras'
// CSVLogger writes): fields holding the separator, a quote, CR or LF are
// quoted and quotes doubled; rows end in "\r\n" by default.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace cutrain::io {

struct CsvOptions {
  char separator = ',';
  std::string line_terminator = "\r\n";
  bool append = false;  // keep existing contents (resumed training)
};

std::string csv_quote(const std::string& field, char separator = ',');

class CsvWriter {
 public:
  explicit CsvWriter(const std::string& path, CsvOptions options = {});
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // True when the file held data before it was opened (append mode): the
  // caller then skips the header row, as Keras does.
  bool had_content() const { return had_content_; }
  const std::string& path() const { return path_; }

  void write_row(const std::vector<std::string>& fields);  // buffered
  void flush();
  void close();

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  CsvOptions options_;
  bool had_content_ = false;
};

// Parses a whole file (quoted fields, doubled quotes, CRLF or LF line ends).
std::vector<std::vector<std::string>> read_csv(const std::string& path, char separator = ',');
std::vector<std::vector<std::string>> parse_csv(const std::string& text, char separator = ',');

}  // namespace cutrain::io
