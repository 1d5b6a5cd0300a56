#include "cutrain/io/tensorboard.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cutrain/core/error.h"
#include "cutrain/io/crc32c.h"
#include "cutrain/io/png.h"
#include "protobuf_wire.h"

namespace cutrain::io {

namespace {

// Field numbers of tensorflow/core/util/event.proto and summary.proto.
namespace field {
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
constexpr uint32_t kSummaryValue = 1;
constexpr uint32_t kValueTag = 1, kValueSimple = 2, kValueImage = 4, kValueHisto = 5;
constexpr uint32_t kHistoMin = 1, kHistoMax = 2, kHistoNum = 3, kHistoSum = 4, kHistoSumSquares = 5,
                   kHistoBucketLimit = 6, kHistoBucket = 7;
constexpr uint32_t kImageHeight = 1, kImageWidth = 2, kImageColorspace = 3, kImageEncoded = 4;
}  // namespace field

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string event_header(int64_t step) {
  std::string e;
  pb::put_double(e, field::kEventWallTime, now_seconds());
  pb::put_int(e, field::kEventStep, step);
  return e;
}

// Event{wall_time, step, summary{value}}.
std::string summary_event(int64_t step, const std::string& value) {
  std::string summary;
  pb::put_bytes(summary, field::kSummaryValue, value);
  std::string e = event_header(step);
  pb::put_bytes(e, field::kEventSummary, summary);
  return e;
}

void put_packed_doubles(std::string& out, uint32_t f, const std::vector<double>& v) {
  std::string packed;
  for (double d : v) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    pb::put_fixed64_raw(packed, bits);
  }
  pb::put_bytes(out, f, packed);
}

}  // namespace

std::string frame_record(const std::string& data) {
  std::string out;
  char len[8];
  const uint64_t n = data.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out.append(len, 8);
  auto put_u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put_u32(mask_crc32c(crc32c(len, 8)));
  out += data;
  put_u32(mask_crc32c(crc32c(data.data(), data.size())));
  return out;
}

const std::vector<double>& default_histogram_limits() {
  static const std::vector<double> limits = [] {
    std::vector<double> pos;
    for (double v = 1.0e-12; v < 1.0e20; v *= 1.1) pos.push_back(v);
    pos.push_back(DBL_MAX);
    std::vector<double> all;
    for (auto it = pos.rbegin(); it != pos.rend(); ++it) all.push_back(-*it);
    all.push_back(0.0);
    all.insert(all.end(), pos.begin(), pos.end());
    return all;
  }();
  return limits;
}

EventWriter::EventWriter(const std::string& logdir, EventWriterOptions options)
    : options_(std::move(options)) {
  std::error_code ec;
  std::filesystem::create_directories(logdir, ec);
  CUTRAIN_CHECK(!ec, "cannot create TensorBoard log directory ", logdir, ": ", ec.message());
  const auto seconds = static_cast<long long>(std::time(nullptr));
  char stamp[32];
  std::snprintf(stamp, sizeof(stamp), "%010lld", seconds);
  const std::string base =
      (std::filesystem::path(logdir) /
       ("events.out.tfevents." + std::string(stamp) + "." + hostname() + options_.filename_suffix))
          .string();
  // Two writers in one directory within a second get distinct files ("x": fail if it exists).
  for (int attempt = 0; attempt < 1000 && !file_; ++attempt) {
    path_ = attempt == 0 ? base : base + "." + std::to_string(attempt);
    file_ = std::fopen(path_.c_str(), "wbx");
    CUTRAIN_CHECK(file_ || errno == EEXIST, "cannot create event file ", path_, ": ",
                  std::strerror(errno));
  }
  CUTRAIN_CHECK(file_, "cannot create an event file in ", logdir, ": names are taken");
  std::string e;
  pb::put_double(e, field::kEventWallTime, now_seconds());
  pb::put_bytes(e, field::kEventFileVersion, "brain.Event:2");
  write_event(e);
}

EventWriter::~EventWriter() {
  if (file_) std::fclose(file_);
}

void EventWriter::write_event(const std::string& event) {
  CUTRAIN_CHECK(file_, "event file ", path_, " is closed");
  const std::string rec = frame_record(event);
  CUTRAIN_CHECK_WRITE(std::fwrite(rec.data(), 1, rec.size(), file_) == rec.size(), "cannot write ", path_,
                ": ", std::strerror(errno));
  if (options_.flush_each_record) flush();
}

void EventWriter::flush() {
  if (file_) {
    CUTRAIN_CHECK_WRITE(std::fflush(file_) == 0, "cannot write ", path_, ": ", std::strerror(errno));
  }
}

void EventWriter::close() {
  if (!file_) return;
  std::FILE* f = file_;
  file_ = nullptr;
  CUTRAIN_CHECK_WRITE(std::fclose(f) == 0, "cannot close ", path_, ": ", std::strerror(errno));
}

void EventWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  std::string v;
  pb::put_bytes(v, field::kValueTag, tag);
  pb::put_float(v, field::kValueSimple, static_cast<float>(value));
  write_event(summary_event(step, v));
}

void EventWriter::add_histogram(const std::string& tag, const std::vector<double>& values,
                                int64_t step) {
  const std::vector<double>& limits = default_histogram_limits();
  std::vector<double> counts(limits.size(), 0.0);
  double mn = DBL_MAX, mx = -DBL_MAX, num = 0, sum = 0, sum_sq = 0;
  for (double x : values) {
    if (std::isnan(x)) continue;  // a NaN has no bucket; logging must not stop training
    const auto it = std::upper_bound(limits.begin(), limits.end(), x);
    const std::size_t b = std::min<std::size_t>(it - limits.begin(), limits.size() - 1);
    counts[b] += 1;
    mn = std::min(mn, x);
    mx = std::max(mx, x);
    num += 1;
    sum += x;
    sum_sq += x * x;
  }
  if (num == 0) mn = mx = 0;
  // Merge runs of empty buckets into the last limit of the run, as TensorFlow does.
  std::vector<double> out_limits, out_counts;
  for (std::size_t i = 0; i < counts.size();) {
    double end = limits[i], count = counts[i];
    ++i;
    if (count <= 0) {
      while (i < counts.size() && counts[i] <= 0) {
        end = limits[i];
        count = counts[i];
        ++i;
      }
    }
    out_limits.push_back(end);
    out_counts.push_back(count);
  }
  std::string h;
  pb::put_double(h, field::kHistoMin, mn);
  pb::put_double(h, field::kHistoMax, mx);
  pb::put_double(h, field::kHistoNum, num);
  pb::put_double(h, field::kHistoSum, sum);
  pb::put_double(h, field::kHistoSumSquares, sum_sq);
  put_packed_doubles(h, field::kHistoBucketLimit, out_limits);
  put_packed_doubles(h, field::kHistoBucket, out_counts);
  std::string v;
  pb::put_bytes(v, field::kValueTag, tag);
  pb::put_bytes(v, field::kValueHisto, h);
  write_event(summary_event(step, v));
}

void EventWriter::add_histogram(const std::string& tag, const Tensor& values, int64_t step) {
  add_histogram(tag, values.to_vector(), step);
}

void EventWriter::add_image(const std::string& tag, const uint8_t* hwc, int height, int width,
                            int channels, int64_t step) {
  CUTRAIN_CHECK(channels == 1 || channels == 3 || channels == 4, "image summary '", tag,
                "' needs 1, 3 or 4 channels, got ", channels);
  const std::vector<uint8_t> png = encode_png(hwc, height, width, channels);
  std::string im;
  pb::put_int(im, field::kImageHeight, height);
  pb::put_int(im, field::kImageWidth, width);
  pb::put_int(im, field::kImageColorspace, channels);  // 1 gray, 3 RGB, 4 RGBA
  pb::put_bytes(im, field::kImageEncoded,
                std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  std::string v;
  pb::put_bytes(v, field::kValueTag, tag);
  pb::put_bytes(v, field::kValueImage, im);
  write_event(summary_event(step, v));
}

// ---- reader ---------------------------------------------------------------------

namespace {

void read_doubles(pb::Reader& r, pb::WireType t, std::vector<double>& out) {
  if (t == pb::kFixed64) {
    out.push_back(r.as_double());
    return;
  }
  CUTRAIN_CHECK(t == pb::kLengthDelimited, "protobuf: repeated double with wire type ", int(t));
  pb::Reader packed(r.bytes());
  while (!packed.done()) out.push_back(packed.as_double());
}

HistogramValue decode_histogram(std::string_view data) {
  HistogramValue h;
  pb::Reader r(data);
  while (!r.done()) {
    const auto [f, t] = r.key();
    if (f >= field::kHistoMin && f <= field::kHistoSumSquares && t == pb::kFixed64) {
      double* dst[] = {&h.min, &h.max, &h.num, &h.sum, &h.sum_squares};
      *dst[f - 1] = r.as_double();
    } else if (f == field::kHistoBucketLimit) {
      read_doubles(r, t, h.bucket_limit);
    } else if (f == field::kHistoBucket) {
      read_doubles(r, t, h.bucket);
    } else {
      r.skip(t);
    }
  }
  return h;
}

ImageValue decode_image(std::string_view data) {
  ImageValue im;
  pb::Reader r(data);
  while (!r.done()) {
    const auto [f, t] = r.key();
    if (f == field::kImageHeight && t == pb::kVarint)
      im.height = static_cast<int>(r.varint());
    else if (f == field::kImageWidth && t == pb::kVarint)
      im.width = static_cast<int>(r.varint());
    else if (f == field::kImageColorspace && t == pb::kVarint)
      im.colorspace = static_cast<int>(r.varint());
    else if (f == field::kImageEncoded && t == pb::kLengthDelimited)
      im.encoded = r.bytes();
    else
      r.skip(t);
  }
  return im;
}

SummaryValue decode_value(std::string_view data) {
  SummaryValue v;
  pb::Reader r(data);
  while (!r.done()) {
    const auto [f, t] = r.key();
    if (f == field::kValueTag && t == pb::kLengthDelimited) {
      v.tag = r.bytes();
    } else if (f == field::kValueSimple && t == pb::kFixed32) {
      v.has_simple_value = true;
      v.simple_value = r.as_float();
    } else if (f == field::kValueImage && t == pb::kLengthDelimited) {
      v.has_image = true;
      v.image = decode_image(r.bytes());
    } else if (f == field::kValueHisto && t == pb::kLengthDelimited) {
      v.has_histogram = true;
      v.histogram = decode_histogram(r.bytes());
    } else {
      r.skip(t);
    }
  }
  return v;
}

Event decode_event(std::string_view data) {
  Event e;
  pb::Reader r(data);
  while (!r.done()) {
    const auto [f, t] = r.key();
    if (f == field::kEventWallTime && t == pb::kFixed64) {
      e.wall_time = r.as_double();
    } else if (f == field::kEventStep && t == pb::kVarint) {
      e.step = static_cast<int64_t>(r.varint());
    } else if (f == field::kEventFileVersion && t == pb::kLengthDelimited) {
      e.file_version = r.bytes();
    } else if (f == field::kEventSummary && t == pb::kLengthDelimited) {
      pb::Reader s(r.bytes());
      while (!s.done()) {
        const auto [sf, st] = s.key();
        if (sf == field::kSummaryValue && st == pb::kLengthDelimited) {
          e.values.push_back(decode_value(s.bytes()));
        } else {
          s.skip(st);
        }
      }
    } else {
      r.skip(t);
    }
  }
  return e;
}

uint64_t load_le(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

std::vector<Event> read_events(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  CUTRAIN_CHECK(in, "cannot open event file ", path, ": ", std::strerror(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Event> events;
  std::size_t pos = 0;
  for (std::size_t index = 0; pos < bytes.size(); ++index) {
    const std::string where =
        path + ": record " + std::to_string(index) + " at byte " + std::to_string(pos);
    CUTRAIN_CHECK(bytes.size() - pos >= 12, where, ": truncated record header");
    const char* p = bytes.data() + pos;
    const uint64_t len = load_le(p, 8);
    const auto len_crc = static_cast<uint32_t>(load_le(p + 8, 4));
    CUTRAIN_CHECK(len_crc == mask_crc32c(crc32c(p, 8)), where, ": length CRC mismatch");
    CUTRAIN_CHECK(len <= bytes.size() - pos - 12 && bytes.size() - pos - 12 - len >= 4, where,
                  ": truncated record (length ", len, ")");
    const std::string_view data(p + 12, len);
    const auto data_crc = static_cast<uint32_t>(load_le(p + 12 + len, 4));
    CUTRAIN_CHECK(data_crc == mask_crc32c(crc32c(data.data(), data.size())), where,
                  ": data CRC mismatch");
    try {
      events.push_back(decode_event(data));
    } catch (const Error& e) {
      CUTRAIN_THROW(where, ": malformed Event: ", e.what());
    }
    pos += 12 + len + 4;
  }
  return events;
}

}  // namespace cutrain::io
