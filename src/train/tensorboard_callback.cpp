#include <algorithm>
#include <cmath>
#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/io/tensorboard.h"
#include "cutrain/train/callbacks/tensorboard.h"

namespace cutrain::train {
namespace {
std::mutex g_factory_mutex;
ScalarWriterFactory& factory_slot() {
  static ScalarWriterFactory f;
  return f;
}
}  // namespace

void set_default_scalar_writer_factory(ScalarWriterFactory factory) {
  std::lock_guard lock(g_factory_mutex);
  factory_slot() = std::move(factory);
}

ScalarWriterFactory default_scalar_writer_factory() {
  std::lock_guard lock(g_factory_mutex);
  if (factory_slot()) return factory_slot();
  return open_event_file_writer;
}

TensorBoard::TensorBoard(TensorBoardOptions options, ScalarWriterFactory factory)
    : opt_(std::move(options)),
      factory_(factory ? std::move(factory) : default_scalar_writer_factory()) {
  CUTRAIN_CHECK(opt_.update_freq >= 0, "TensorBoard: update_freq must be 0 ('epoch') or positive, got ",
                opt_.update_freq);
  CUTRAIN_CHECK(opt_.histogram_freq >= 0, "TensorBoard: histogram_freq must be 0 (off) or positive, got ",
                opt_.histogram_freq);
}

namespace {
class EventFileWriter final : public ScalarWriter {
 public:
  explicit EventFileWriter(const std::string& dir) : w_(dir) {}
  void add_scalar(const std::string& tag, double value, int64_t step) override { w_.add_scalar(tag, value, step); }
  void add_histogram(const std::string& tag, const Tensor& values, int64_t step) override {
    w_.add_histogram(tag, values, step);
  }
  void add_image(const std::string& tag, const std::vector<uint8_t>& hwc, int height, int width, int channels,
                 int64_t step) override {
    w_.add_image(tag, hwc.data(), height, width, channels, step);
  }
  void flush() override { w_.flush(); }

 private:
  io::EventWriter w_;
};
}  // namespace

std::unique_ptr<ScalarWriter> open_event_file_writer(const std::string& run_dir) {
  return std::make_unique<EventFileWriter>(run_dir);
}

void ScalarWriter::add_histogram(const std::string& tag, const Tensor&, int64_t) {
  CUTRAIN_THROW("TensorBoard: this writer cannot write histograms (tag '", tag, "')");
}

void ScalarWriter::add_image(const std::string& tag, const std::vector<uint8_t>&, int, int, int, int64_t) {
  CUTRAIN_THROW("TensorBoard: this writer cannot write images (tag '", tag, "')");
}

std::string TensorBoard::join(const std::string& dir, const std::string& run) {
  if (dir.empty()) return run;
  return dir.back() == '/' ? dir + run : dir + "/" + run;
}

namespace {

// Keras's weight image: the weight squeezed; a vector is one column (n x 1), a
// matrix is shown with no more rows than columns. Tensors of three or more
// dimensions after squeezing have no image (returns false).
bool weight_image(const Tensor& w, std::vector<uint8_t>& pixels, int& height, int& width) {
  std::vector<int64_t> dims;
  for (int64_t d : w.shape().dims())
    if (d != 1) dims.push_back(d);
  if (dims.empty()) dims.push_back(1);
  if (dims.size() > 2) return false;
  const int64_t rows = dims[0], cols = dims.size() == 2 ? dims[1] : 1;
  const bool transpose = dims.size() == 2 && rows > cols;
  height = static_cast<int>(transpose ? cols : rows);
  width = static_cast<int>(transpose ? rows : cols);
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double v = w.flat(i);
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  const double range = hi > lo ? hi - lo : 1.0;
  pixels.assign(static_cast<size_t>(w.numel()), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double v = w.flat(r * cols + c);
      const double x = std::isfinite(v) ? (v - lo) / range : 0.0;  // NaN and inf black
      const int64_t at = transpose ? c * rows + r : r * cols + c;
      pixels[static_cast<size_t>(at)] = static_cast<uint8_t>(std::lround(std::clamp(x, 0.0, 1.0) * 255));
    }
  return true;
}

}  // namespace

void TensorBoard::log_weights(int64_t epoch) {
  const WeightSnapshot weights = model().get_weights();
  const std::vector<std::string> names = model().weight_names();
  CUTRAIN_CHECK(names.size() == weights.size(), "TensorBoard: histogram_freq needs the model's weight names (",
                names.size(), " names for ", weights.size(), " weights)");
  ScalarWriter& w = train_writer();
  std::vector<uint8_t> pixels;
  for (size_t i = 0; i < weights.size(); ++i) {
    w.add_histogram(names[i] + "/histogram", weights[i], epoch);
    int height = 0, width = 0;
    if (opt_.write_images && weight_image(weights[i], pixels, height, width))
      w.add_image(names[i] + "/image", pixels, height, width, 1, epoch);
  }
}

ScalarWriter& TensorBoard::train_writer() {
  if (!train_) train_ = factory_(join(opt_.log_dir, "train"));
  CUTRAIN_CHECK(train_ != nullptr, "TensorBoard: the writer factory returned null");
  return *train_;
}

ScalarWriter& TensorBoard::val_writer() {
  if (!val_) val_ = factory_(join(opt_.log_dir, "validation"));
  CUTRAIN_CHECK(val_ != nullptr, "TensorBoard: the writer factory returned null");
  return *val_;
}

void TensorBoard::on_train_begin(Logs&) {
  global_train_batch_ = 0;
  in_fit_ = true;
}

void TensorBoard::on_train_batch_end(int64_t, Logs& logs) {
  ++global_train_batch_;
  if (opt_.update_freq == 0 || global_train_batch_ % opt_.update_freq != 0) return;
  auto& w = train_writer();
  for (const auto& [k, v] : logs) w.add_scalar("batch_" + k, v, global_train_batch_);
}

void TensorBoard::on_test_end(Logs& logs) {
  if (!in_fit_) return;
  auto& w = val_writer();
  for (const auto& [k, v] : logs)
    w.add_scalar("evaluation_" + k + "_vs_iterations", v, global_train_batch_);
}

void TensorBoard::on_epoch_end(int64_t epoch, Logs& logs) {
  Logs train_logs, val_logs;
  for (const auto& [k, v] : logs) {
    if (k.starts_with("val_"))
      val_logs.set(k.substr(4), v);
    else
      train_logs.set(k, v);
  }
  if (!train_logs.contains("learning_rate") && has_model())
    train_logs.set("learning_rate", model().learning_rate());
  auto& tw = train_writer();
  for (const auto& [k, v] : train_logs) tw.add_scalar("epoch_" + k, v, epoch);
  if (opt_.histogram_freq > 0 && epoch % opt_.histogram_freq == 0 && has_model()) log_weights(epoch);
  tw.flush();
  if (!val_logs.empty()) {
    auto& vw = val_writer();
    for (const auto& [k, v] : val_logs) vw.add_scalar("epoch_" + k, v, epoch);
    vw.flush();
  }
}

void TensorBoard::on_train_end(Logs&) {
  in_fit_ = false;
  if (train_) train_->flush();
  if (val_) val_->flush();
}

}  // namespace cutrain::train
