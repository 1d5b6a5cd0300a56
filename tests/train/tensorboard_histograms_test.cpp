// TensorBoard's histogram_freq and write_images (Keras 3's _log_weights: every
// histogram_freq-th epoch, epoch % freq == 0, a histogram "<weight.path>/
// histogram" of each weight in the training run at step = epoch; with
// write_images an image "<weight.path>/image" of each weight that squeezes to
// one or two dimensions). Fake writers check the tags, steps, values and
// pixels; a real model and our event writer, read back by our CRC-checking
// reader, check what lands in the files.
#include <gtest/gtest.h>

#include <filesystem>

#include "cutrain/core/error.h"
#include "cutrain/io/tensorboard.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/callbacks/tensorboard.h"
#include "fakes.h"
#include "model_test_util.h"

using namespace cutrain;
using namespace cutrain::train;
using namespace cutrain::train::testing;

namespace {

struct Item {
  std::string kind, tag;
  int64_t step;
  std::vector<double> values;  // histogram: the tensor's values; image: the pixels
  int height = 0, width = 0;
};

class RecordingWriter : public ScalarWriter {
 public:
  explicit RecordingWriter(std::vector<Item>* out) : out_(out) {}
  void add_scalar(const std::string& tag, double v, int64_t step) override { out_->push_back({"scalar", tag, step, {v}}); }
  void add_histogram(const std::string& tag, const Tensor& t, int64_t step) override {
    out_->push_back({"histogram", tag, step, t.to_vector()});
  }
  void add_image(const std::string& tag, const std::vector<uint8_t>& hwc, int h, int w, int c, int64_t step) override {
    EXPECT_EQ(c, 1) << tag;
    EXPECT_EQ(hwc.size(), static_cast<size_t>(h) * w) << tag;
    out_->push_back({"image", tag, step, std::vector<double>(hwc.begin(), hwc.end()), h, w});
  }
  void flush() override {}

 private:
  std::vector<Item>* out_;
};

// Weights of the shapes Keras's image rules tell apart.
class NamedWeights : public FakeContext {
 public:
  WeightSnapshot weights = {
      Tensor::from_vector({3}, {-1, 0, 1}, DType::f64),                      // bias: a 3 x 1 column
      Tensor::from_vector({4, 2}, {0, 1, 2, 3, 4, 5, 6, 7}, DType::f64),     // more rows: shown transposed
      Tensor::from_vector({1, 1, 2, 3}, {5, 5, 5, 5, 5, 9}, DType::f64),     // 1x1 conv: squeezes to 2 x 3
      Tensor::from_vector({3, 3, 1, 2}, std::vector<double>(18, 0.5), DType::f64),  // 3x3 conv: no image
  };
  std::vector<std::string> names = {"Logits/biases", "Dense/weights", "Conv2d_1x1/weights", "Conv2d_3x3/weights"};
  WeightSnapshot get_weights() const override { return weights; }
  std::vector<std::string> weight_names() const override { return names; }
};

std::vector<Item> only(const std::vector<Item>& items, const std::string& kind) {
  std::vector<Item> out;
  for (const Item& i : items)
    if (i.kind == kind) out.push_back(i);
  return out;
}

}  // namespace

TEST(TensorBoardHistograms, EveryNthEpochEachWeightInTheTrainingRun) {
  std::vector<Item> train, validation;
  auto factory = [&](const std::string& dir) {
    return std::make_unique<RecordingWriter>(dir == "l/train" ? &train : &validation);
  };
  NamedWeights m;
  TensorBoard tb({.log_dir = "l", .histogram_freq = 2}, factory);
  run_epochs(tb, m, std::vector<Logs>(5, L({{"loss", 1}, {"val_loss", 2}})));
  const std::vector<Item> hist = only(train, "histogram");
  ASSERT_EQ(hist.size(), 3u * m.names.size());  // epochs 0, 2, 4
  for (size_t e = 0; e < 3; ++e)
    for (size_t i = 0; i < m.names.size(); ++i) {
      const Item& h = hist[e * m.names.size() + i];
      EXPECT_EQ(h.tag, m.names[i] + "/histogram");
      EXPECT_EQ(h.step, static_cast<int64_t>(2 * e));
      EXPECT_EQ(h.values, m.weights[i].to_vector()) << h.tag;
    }
  EXPECT_TRUE(only(train, "image").empty());  // write_images is off
  EXPECT_TRUE(only(validation, "histogram").empty());
}

TEST(TensorBoardHistograms, WriteImagesFollowsKerasLayoutOverTheWeightsRange) {
  std::vector<Item> items;
  auto factory = [&](const std::string&) { return std::make_unique<RecordingWriter>(&items); };
  NamedWeights m;
  TensorBoard tb({.log_dir = "l", .histogram_freq = 1, .write_images = true}, factory);
  run_epochs(tb, m, {L({{"loss", 1}})});
  const std::vector<Item> images = only(items, "image");
  ASSERT_EQ(images.size(), 3u);  // the 3x3 kernel has none
  EXPECT_EQ(images[0].tag, "Logits/biases/image");
  EXPECT_EQ(images[0].height, 3);
  EXPECT_EQ(images[0].width, 1);
  EXPECT_EQ(images[0].values, (std::vector<double>{0, 128, 255}));  // -1, 0, 1 over [-1, 1]
  // [4, 2] shown as 2 x 4: pixel (r, c) is w[c][r]; values 0..7 over [0, 7].
  EXPECT_EQ(images[1].tag, "Dense/weights/image");
  EXPECT_EQ(images[1].height, 2);
  EXPECT_EQ(images[1].width, 4);
  EXPECT_EQ(images[1].values, (std::vector<double>{0, 73, 146, 219, 36, 109, 182, 255}));
  EXPECT_EQ(images[2].tag, "Conv2d_1x1/weights/image");
  EXPECT_EQ(images[2].height, 2);
  EXPECT_EQ(images[2].width, 3);
  EXPECT_EQ(images[2].values, (std::vector<double>{0, 0, 0, 0, 0, 255}));
}

TEST(TensorBoardHistograms, BadOptionsAndWritersFailNamingTheProblem) {
  EXPECT_THROW(TensorBoard({.log_dir = "l", .histogram_freq = -1}), Error);
  // A writer without histograms: the error names the tag.
  class ScalarsOnly : public ScalarWriter {
   public:
    void add_scalar(const std::string&, double, int64_t) override {}
    void flush() override {}
  };
  NamedWeights m;
  TensorBoard tb({.log_dir = "l", .histogram_freq = 1},
                 [](const std::string&) { return std::make_unique<ScalarsOnly>(); });
  try {
    run_epochs(tb, m, {L({{"loss", 1}})});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Logits/biases/histogram"), std::string::npos) << e.what();
  }
  // A model that does not name its weights.
  FakeContext unnamed;
  std::vector<Item> items;
  TensorBoard tb2({.log_dir = "l", .histogram_freq = 1},
                  [&](const std::string&) { return std::make_unique<RecordingWriter>(&items); });
  try {
    run_epochs(tb2, unnamed, {L({{"loss", 1}})});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight names"), std::string::npos) << e.what();
  }
}

// A real fit writing event files: our reader (which checks every CRC) finds a
// histogram per weight, parameters and batch-norm statistics, with the
// weight's element count and range, and images of the vector weights.
TEST(TensorBoardHistograms, ModelFitWritesEventFilesOurReaderDecodes) {
  const std::filesystem::path dir = temp_path("tb_hist", "logs");
  std::filesystem::remove_all(dir);
  Model model(nn::small_cnn_builder({{4}}), small_cnn_spec());
  CompileOptions co;
  co.seed = 3;
  model.compile(co);
  FitOptions fo;
  fo.batch_size = 16;
  fo.epochs = 2;
  fo.verbose = 0;
  auto tb = std::make_shared<TensorBoard>(
      TensorBoardOptions{.log_dir = dir.string(), .histogram_freq = 1, .write_images = true});  // event files
  model.fit(resize_image_data(synthetic(32, 10, 3, 4), 10, 1, false), fo, {tb});
  tb.reset();  // closes the files

  std::vector<io::Event> events;
  for (const auto& f : std::filesystem::directory_iterator(dir / "train"))
    for (io::Event& e : io::read_events(f.path().string())) events.push_back(std::move(e));
  const WeightSnapshot weights = model.get_weights();
  const std::vector<std::string> names = model.weight_names();
  ASSERT_EQ(names.size(), weights.size());
  ASSERT_FALSE(model.state_names().empty());  // batch-norm statistics are among them
  for (size_t i = 0; i < names.size(); ++i) {
    int found = 0;
    for (const io::Event& e : events)
      for (const io::SummaryValue& v : e.values)
        if (v.tag == names[i] + "/histogram" && v.has_histogram) {
          ++found;
          EXPECT_EQ(v.histogram.num, static_cast<double>(weights[i].numel())) << v.tag;
          if (e.step == 1) {  // the final weights
            const std::vector<double> x = weights[i].to_vector();
            EXPECT_EQ(v.histogram.min, *std::min_element(x.begin(), x.end())) << v.tag;
            EXPECT_EQ(v.histogram.max, *std::max_element(x.begin(), x.end())) << v.tag;
          }
        }
    EXPECT_EQ(found, 2) << names[i];  // epochs 0 and 1
  }
  int images = 0;
  for (const io::Event& e : events)
    for (const io::SummaryValue& v : e.values)
      if (v.has_image) {
        ++images;
        EXPECT_TRUE(v.tag.ends_with("/image")) << v.tag;
        EXPECT_FALSE(v.image.encoded.empty()) << v.tag;
      }
  EXPECT_GT(images, 0);
}
