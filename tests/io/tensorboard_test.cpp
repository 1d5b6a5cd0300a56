#include "cutrain/io/tensorboard.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <filesystem>

#include "cutrain/io/crc32c.h"
#include "cutrain/io/png.h"
#include "common/test_util.h"

namespace cutrain::io {
namespace {

using testing_util::error_of;
using testing_util::ScratchDir;
using testing_util::slurp;
using testing_util::spit;

TEST(Crc32c, TestVectors) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  const std::string ones(32, '\xFF');
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);  // RFC 3720 B.4
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(Crc32c, ContinuesAcrossChunksAndOddLengths) {
  std::string s;
  for (int i = 0; i < 301; ++i) s.push_back(static_cast<char>(i * 37 + 11));
  for (std::size_t cut : {0, 1, 3, 4, 5, 150, 300, 301}) {
    EXPECT_EQ(crc32c(s.data() + cut, s.size() - cut, crc32c(s.data(), cut)),
              crc32c(s.data(), s.size()))
        << cut;
  }
}

TEST(Crc32c, MaskRoundTrips) {
  for (uint32_t c : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu}) EXPECT_EQ(unmask_crc32c(mask_crc32c(c)), c);
  const uint32_t c = 0xE3069283u;
  EXPECT_EQ(mask_crc32c(c), static_cast<uint32_t>(((c >> 15) | (c << 17)) + 0xA282EAD8u));
}

TEST(TensorBoard, FileNameAndVersionRecord) {
  ScratchDir dir("tb_name");
  const std::string logdir = dir.file("run/train");
  EventWriter w(logdir);
  const std::string name = std::filesystem::path(w.path()).filename().string();
  ASSERT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  const std::string stamp = name.substr(20, 10);
  for (char c : stamp) EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(c))) << name;
  EXPECT_EQ(name[30], '.');
  EXPECT_EQ(std::filesystem::path(w.path()).parent_path(), std::filesystem::path(logdir));
  // A second writer in the same second gets its own file.
  EventWriter w2(logdir);
  EXPECT_NE(w.path(), w2.path());

  const std::vector<Event> events = read_events(w.path());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_GT(events[0].wall_time, 1.5e9);
}

TEST(TensorBoard, ScalarsHistogramsAndImagesReadBack) {
  ScratchDir dir("tb_values");
  std::string path;
  std::vector<uint8_t> img(4 * 5 * 3);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<uint8_t>(i * 13);
  const std::vector<double> hist_values = {-3.0, -1e-3, 0.0, 0.0, 0.5, 2.0, 2.0, 1e6};
  {
    EventWriter w(dir.path.string(), {.flush_each_record = false});
    path = w.path();
    w.add_scalar("epoch_loss", 0.75, 0);
    w.add_scalar("epoch_loss", 0.5, 1);
    w.add_scalar("epoch_accuracy", 0.9, -1);  // negative steps survive the varint
    w.add_histogram("dense/kernel", hist_values, 3);
    w.add_image("samples", img.data(), 4, 5, 3, 4);
    w.flush();
  }
  const std::vector<Event> ev = read_events(path);
  ASSERT_EQ(ev.size(), 6u);
  EXPECT_EQ(ev[0].file_version, "brain.Event:2");

  ASSERT_EQ(ev[1].values.size(), 1u);
  EXPECT_EQ(ev[1].values[0].tag, "epoch_loss");
  EXPECT_TRUE(ev[1].values[0].has_simple_value);
  EXPECT_EQ(ev[1].values[0].simple_value, 0.75f);
  EXPECT_EQ(ev[1].step, 0);
  EXPECT_EQ(ev[2].values[0].simple_value, 0.5f);
  EXPECT_EQ(ev[2].step, 1);
  EXPECT_EQ(ev[3].values[0].tag, "epoch_accuracy");
  EXPECT_EQ(ev[3].values[0].simple_value, 0.9f);
  EXPECT_EQ(ev[3].step, -1);

  const SummaryValue& hv = ev[4].values[0];
  EXPECT_EQ(hv.tag, "dense/kernel");
  EXPECT_EQ(ev[4].step, 3);
  ASSERT_TRUE(hv.has_histogram);
  const HistogramValue& h = hv.histogram;
  EXPECT_EQ(h.min, -3.0);
  EXPECT_EQ(h.max, 1e6);
  EXPECT_EQ(h.num, 8.0);
  double sum = 0, sq = 0;
  for (double v : hist_values) sum += v, sq += v * v;
  EXPECT_DOUBLE_EQ(h.sum, sum);
  EXPECT_DOUBLE_EQ(h.sum_squares, sq);
  ASSERT_EQ(h.bucket.size(), h.bucket_limit.size());
  double total = 0;
  for (double c : h.bucket) total += c;
  EXPECT_EQ(total, 8.0);
  EXPECT_EQ(h.bucket_limit.back(), DBL_MAX);
  // Each value lies in the bucket whose half-open range [previous limit, limit) holds it.
  for (double v : hist_values) {
    std::size_t b = 0;
    while (!(v < h.bucket_limit[b])) ++b;
    EXPECT_GT(h.bucket[b], 0.0) << v;
    if (b > 0) {
      EXPECT_GE(v, h.bucket_limit[b - 1]);
    }
  }
  // Zeros land in the bucket ending at the first positive limit (1e-12), twice.
  for (std::size_t b = 0; b < h.bucket.size(); ++b) {
    if (h.bucket_limit[b] == 1e-12) {
      EXPECT_EQ(h.bucket[b], 2.0);
    }
  }

  const SummaryValue& iv = ev[5].values[0];
  EXPECT_EQ(iv.tag, "samples");
  ASSERT_TRUE(iv.has_image);
  EXPECT_EQ(iv.image.height, 4);
  EXPECT_EQ(iv.image.width, 5);
  EXPECT_EQ(iv.image.colorspace, 3);
  const Image decoded = decode_png(iv.image.encoded.data(), iv.image.encoded.size(), "summary");
  EXPECT_EQ(decoded.height, 4);
  EXPECT_EQ(decoded.width, 5);
  EXPECT_EQ(decoded.channels, 3);
  EXPECT_EQ(decoded.pixels, img);
}

TEST(TensorBoard, FlushEachRecordMakesRecordsVisible) {
  ScratchDir dir("tb_flush");
  EventWriter w(dir.path.string());
  w.add_scalar("x", 1.0, 7);
  const std::vector<Event> ev = read_events(w.path());  // writer still open
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].step, 7);
  w.close();
  EXPECT_THROW(w.add_scalar("x", 2.0, 8), Error);
}

TEST(TensorBoard, DefaultHistogramLimitsMatchTensorFlow) {
  const std::vector<double>& l = default_histogram_limits();
  ASSERT_EQ(l.size() % 2, 1u);
  const std::size_t mid = l.size() / 2;
  EXPECT_EQ(l[mid], 0.0);
  EXPECT_EQ(l[mid + 1], 1e-12);
  EXPECT_DOUBLE_EQ(l[mid + 2], 1.1e-12);
  EXPECT_EQ(l.back(), DBL_MAX);
  EXPECT_EQ(l.front(), -DBL_MAX);
  EXPECT_LT(l[l.size() - 2], 1e20);
  EXPECT_GE(l[l.size() - 2] * 1.1, 1e20);
  for (std::size_t i = 1; i < l.size(); ++i) EXPECT_LT(l[i - 1], l[i]);
  for (std::size_t i = 0; i < mid; ++i) EXPECT_EQ(l[i], -l[l.size() - 1 - i]);
}

TEST(TensorBoard, ReaderDetectsCorruption) {
  ScratchDir dir("tb_corrupt");
  std::string path;
  {
    EventWriter w(dir.path.string());
    w.add_scalar("loss", 1.0, 1);
    path = w.path();
  }
  const std::string good = slurp(path);
  // Flip a byte in the second record's payload: data CRC mismatch.
  std::string bad = good;
  bad[bad.size() - 6] ^= 0x40;
  spit(path, bad);
  std::string msg = error_of([&] { read_events(path); });
  EXPECT_NE(msg.find("record 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("data CRC mismatch"), std::string::npos) << msg;
  // Corrupt the first length: length CRC mismatch.
  bad = good;
  bad[0] ^= 1;
  spit(path, bad);
  msg = error_of([&] { read_events(path); });
  EXPECT_NE(msg.find("length CRC mismatch"), std::string::npos) << msg;
  // Truncated file.
  spit(path, good.substr(0, good.size() - 2));
  msg = error_of([&] { read_events(path); });
  EXPECT_NE(msg.find("truncated record"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

// Wire bytes written out by hand from event.proto / summary.proto, so the
// writer is checked independently of our own reader.
TEST(TensorBoard, WireBytesMatchTheProtoDefinitions) {
  ScratchDir dir("tb_wire");
  std::string path;
  {
    EventWriter w(dir.path.string());
    w.add_scalar("loss", 0.5, 5);
    path = w.path();
  }
  const std::string file = slurp(path);
  // Record 0: Event{wall_time (field 1, fixed64), file_version (field 3)}.
  ASSERT_GE(file.size(), 12u + 24 + 4);
  EXPECT_EQ(file[0], 24);
  EXPECT_EQ(static_cast<uint8_t>(file[12]), 0x09);  // key 1, wire type 1
  EXPECT_EQ(file.substr(21, 15), std::string("\x1A\x0D") + "brain.Event:2");
  // Record 1: Event{wall_time, step = 5, summary{value{tag "loss", simple_value 0.5f}}}.
  const std::size_t r1 = 12 + 24 + 4;
  EXPECT_EQ(file[r1], 26);
  const std::string data = file.substr(r1 + 12, 26);
  EXPECT_EQ(static_cast<uint8_t>(data[0]), 0x09);
  const std::string expected_tail =
      std::string("\x10\x05", 2) +             // step: key 2, varint 5
      std::string("\x2A\x0D", 2) +             // summary: key 5, 13 bytes
      std::string("\x0A\x0B", 2) +             //   value: key 1, 11 bytes
      std::string("\x0A\x04", 2) + "loss" +    //     tag: key 1, 4 bytes
      std::string("\x15\x00\x00\x00\x3F", 5);  //     simple_value: key 2 fixed32, 0.5f
  EXPECT_EQ(data.substr(9), expected_tail);
  EXPECT_EQ(file.size(), r1 + 12 + 26 + 4);
}

TEST(TensorBoard, FramingMatchesSpecification) {
  const std::string data = "abc";
  const std::string rec = frame_record(data);
  ASSERT_EQ(rec.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(rec[0], 3);
  for (int i = 1; i < 8; ++i) EXPECT_EQ(rec[i], 0);
  auto u32 = [&](std::size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(rec[at + i]);
    return v;
  };
  EXPECT_EQ(u32(8), mask_crc32c(crc32c(rec.data(), 8)));
  EXPECT_EQ(rec.substr(12, 3), "abc");
  EXPECT_EQ(u32(15), mask_crc32c(crc32c("abc", 3)));
}

}  // namespace
}  // namespace cutrain::io
