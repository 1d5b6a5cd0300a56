#include "cutrain/io/csv.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cutrain/core/error.h"

namespace cutrain::io {

std::string csv_quote(const std::string& field, char separator) {
  if (field.find_first_of(std::string{separator, '"', '\r', '\n'}) == std::string::npos) {
    return field;
  }
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

CsvWriter::CsvWriter(const std::string& path, CsvOptions options)
    : path_(path), options_(std::move(options)) {
  std::error_code ec;
  if (options_.append && std::filesystem::exists(path, ec)) {
    had_content_ = std::filesystem::file_size(path, ec) > 0 && !ec;
  }
  file_ = std::fopen(path.c_str(), options_.append ? "ab" : "wb");
  CUTRAIN_CHECK(file_, "cannot open CSV file ", path, ": ", std::strerror(errno));
}

CsvWriter::~CsvWriter() {
  if (file_) std::fclose(file_);
}

void CsvWriter::write_row(const std::vector<std::string>& fields) {
  CUTRAIN_CHECK(file_, "CSV file ", path_, " is closed");
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) line += options_.separator;
    line += csv_quote(fields[i], options_.separator);
  }
  line += options_.line_terminator;
  CUTRAIN_CHECK_WRITE(std::fwrite(line.data(), 1, line.size(), file_) == line.size(), "cannot write ",
                path_, ": ", std::strerror(errno));
}

void CsvWriter::flush() {
  if (file_) {
    CUTRAIN_CHECK_WRITE(std::fflush(file_) == 0, "cannot write ", path_, ": ", std::strerror(errno));
  }
}

void CsvWriter::close() {
  if (!file_) return;
  std::FILE* f = file_;
  file_ = nullptr;
  CUTRAIN_CHECK_WRITE(std::fclose(f) == 0, "cannot close ", path_, ": ", std::strerror(errno));
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text, char separator) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    rows.push_back(std::move(row));
    row.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == separator) {
      end_field();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
    } else {
      field += c;
      field_started = true;
    }
  }
  CUTRAIN_CHECK(!quoted, "CSV: unterminated quoted field");
  if (field_started || !field.empty() || !row.empty()) end_row();
  return rows;
}

std::vector<std::vector<std::string>> read_csv(const std::string& path, char separator) {
  std::ifstream in(path, std::ios::binary);
  CUTRAIN_CHECK(in, "cannot open CSV file ", path, ": ", std::strerror(errno));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return parse_csv(text, separator);
  } catch (const Error& e) {
    CUTRAIN_THROW(path, ": ", e.what());
  }
}

}  // namespace cutrain::io
