#include <gtest/gtest.h>

#include "cutrain/io/csv.h"
#include "cutrain/io/png.h"
#include "common/test_util.h"

namespace cutrain::io {
namespace {

using testing_util::error_of;
using testing_util::ScratchDir;
using testing_util::slurp;
using testing_util::spit;

TEST(Csv, QuotesLikePythonCsv) {
  EXPECT_EQ(csv_quote("plain"), "plain");
  EXPECT_EQ(csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_quote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_quote("a;b", ';'), "\"a;b\"");
  EXPECT_EQ(csv_quote("a,b", ';'), "a,b");
  EXPECT_EQ(csv_quote(""), "");
}

TEST(Csv, WritesRowsAndReadsThemBack) {
  ScratchDir dir("csv");
  const std::string path = dir.file("log.csv");
  const std::vector<std::vector<std::string>> rows = {
      {"epoch", "loss", "note"}, {"0", "0.5", "a,b"}, {"1", "0.25", "q\"uote"}, {"2", "", "x\ny"}};
  {
    CsvWriter w(path);
    EXPECT_FALSE(w.had_content());
    for (const auto& r : rows) w.write_row(r);
    w.flush();
    EXPECT_EQ(slurp(path).substr(0, 16), "epoch,loss,note\r");
  }
  EXPECT_EQ(read_csv(path), rows);
  {
    CsvWriter w(path, {.append = true});
    EXPECT_TRUE(w.had_content());
    w.write_row({"3", "0.1", "z"});
  }
  auto back = read_csv(path);
  ASSERT_EQ(back.size(), 5u);
  EXPECT_EQ(back[4], (std::vector<std::string>{"3", "0.1", "z"}));
  EXPECT_EQ(parse_csv("a,b\nc,d"), (std::vector<std::vector<std::string>>{{"a", "b"}, {"c", "d"}}));
  EXPECT_THROW(parse_csv("\"open"), Error);
}

TEST(Png, RoundTripsGrayAndRgb) {
  ScratchDir dir("png");
  for (int c : {1, 3, 4}) {
    std::vector<uint8_t> px(7 * 5 * c);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 31 + c);
    const std::string path = dir.file("im" + std::to_string(c) + ".png");
    write_png(path, px.data(), 7, 5, c);
    const Image im = read_png(path);
    EXPECT_EQ(im.height, 7);
    EXPECT_EQ(im.width, 5);
    EXPECT_EQ(im.channels, c);
    EXPECT_EQ(im.pixels, px);
  }
  EXPECT_THROW(encode_png(nullptr, 2, 2, 5), Error);
}

TEST(Png, CorruptAndTruncatedFilesGiveClearErrors) {
  ScratchDir dir("png_bad");
  std::vector<uint8_t> px(16 * 16 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 7);
  const std::string path = dir.file("a.png");
  write_png(path, px.data(), 16, 16, 3);
  const std::string bytes = slurp(path);
  spit(path, bytes.substr(0, bytes.size() / 2));
  std::string msg = error_of([&] { read_png(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  spit(path, "not a png at all");
  msg = error_of([&] { read_png(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  msg = error_of([&] { decode_png(bytes.data(), 10, "mem.png"); });
  EXPECT_NE(msg.find("mem.png"), std::string::npos) << msg;
}

TEST(Png, TileImagesPlacesEachImage) {
  // Three 2x2 gray images with values 10, 20, 30, two columns, padding 1.
  std::vector<uint8_t> in(3 * 4);
  for (int i = 0; i < 3; ++i)
    for (int p = 0; p < 4; ++p) in[i * 4 + p] = static_cast<uint8_t>(10 * (i + 1));
  const Image g = tile_images(in.data(), 3, 2, 2, 1, 2, 1, 255);
  EXPECT_EQ(g.height, 2 * 2 + 3);
  EXPECT_EQ(g.width, 2 * 2 + 3);
  auto at = [&](int y, int x) { return g.pixels[y * g.width + x]; };
  EXPECT_EQ(at(0, 0), 255);
  EXPECT_EQ(at(1, 1), 10);
  EXPECT_EQ(at(2, 2), 10);
  EXPECT_EQ(at(1, 4), 20);
  EXPECT_EQ(at(4, 1), 30);
  EXPECT_EQ(at(4, 4), 255);  // the empty fourth tile
  EXPECT_EQ(at(3, 1), 255);  // padding row
}

}  // namespace
}  // namespace cutrain::io
