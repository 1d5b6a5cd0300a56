// TensorBoard event files, written without TensorFlow.
//
// One file per writer: `<logdir>/events.out.tfevents.<unix seconds>.<host>`.
// Each record is a serialized Event protobuf framed as TFRecord:
// uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data.
// The first record carries file_version "brain.Event:2"; after it come
// scalar, histogram and image summaries with their step.
//
// read_events() is the matching reader: it checks both CRCs of every record
// and decodes what the writer writes (tests and tools use it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::io {

struct EventWriterOptions {
  bool flush_each_record = true;  // false: flush() or the destructor writes buffered records
  std::string filename_suffix;    // appended to the file name (e.g. ".v2")
};

// Histogram buckets. TensorFlow's default limits (what tf.summary.histogram's
// C++ counterpart and TensorBoard's histogram plugin expect): ±1e-12·1.1^k up
// to 1e20, 0 in between and DBL_MAX at the end; runs of empty buckets are
// merged on output as TensorFlow does. Bucket i counts values v with
// limit[i-1] <= v < limit[i].
const std::vector<double>& default_histogram_limits();

class EventWriter {
 public:
  // Creates `logdir` (and parents) and the event file; writes the version record.
  explicit EventWriter(const std::string& logdir, EventWriterOptions options = {});
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  const std::string& path() const { return path_; }

  void add_scalar(const std::string& tag, double value, int64_t step);
  void add_histogram(const std::string& tag, const std::vector<double>& values, int64_t step);
  // Any CPU tensor (its values as doubles).
  void add_histogram(const std::string& tag, const Tensor& values, int64_t step);
  // 8-bit HWC image (1, 3 or 4 channels), PNG-encoded.
  void add_image(const std::string& tag, const uint8_t* hwc, int height, int width, int channels,
                 int64_t step);

  void flush();
  void close();  // flushes and closes; later adds throw

 private:
  void write_event(const std::string& event);
  std::string path_;
  std::FILE* file_ = nullptr;
  EventWriterOptions options_;
};

// Decoded events, as far as the writer produces them.
struct HistogramValue {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
  std::vector<double> bucket_limit;
  std::vector<double> bucket;
};
struct ImageValue {
  int height = 0, width = 0, colorspace = 0;
  std::string encoded;  // PNG bytes
};
struct SummaryValue {
  std::string tag;
  bool has_simple_value = false;
  float simple_value = 0;
  bool has_histogram = false;
  HistogramValue histogram;
  bool has_image = false;
  ImageValue image;
};
struct Event {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<SummaryValue> values;
};

// Reads every record; throws cutrain::Error naming the file, the record index
// and the byte offset on a CRC mismatch, truncation or malformed protobuf.
std::vector<Event> read_events(const std::string& path);

// Encodes/decodes one framed record (exposed for tests of the framing).
std::string frame_record(const std::string& data);

}  // namespace cutrain::io
