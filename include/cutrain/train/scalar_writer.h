// ScalarWriter: where the TensorBoard callback sends scalars, histograms and
// images.
//
// The train layer sees only this interface and a factory that opens one
// writer per run folder (logdir/train, logdir/validation), so tests record
// what the callback writes; by default the factory opens TensorBoard event
// files (io::EventWriter).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::train {

class ScalarWriter {
 public:
  virtual ~ScalarWriter() = default;
  virtual void add_scalar(const std::string& tag, double value, int64_t step) = 0;
  // A histogram of a CPU tensor's values. The default throws: a writer that
  // only has scalars cannot serve histogram_freq.
  virtual void add_histogram(const std::string& tag, const Tensor& values, int64_t step);
  // An 8-bit HWC image (1, 3 or 4 channels). The default throws.
  virtual void add_image(const std::string& tag, const std::vector<uint8_t>& hwc, int height, int width,
                         int channels, int64_t step);
  virtual void flush() = 0;
};

// Opens a writer for one run folder (created by the writer if missing).
using ScalarWriterFactory = std::function<std::unique_ptr<ScalarWriter>(const std::string& run_dir)>;

// A writer of TensorBoard event files in `run_dir` (created if missing).
std::unique_ptr<ScalarWriter> open_event_file_writer(const std::string& run_dir);

// The factory TensorBoard uses when none is passed: the one set here, else
// open_event_file_writer.
void set_default_scalar_writer_factory(ScalarWriterFactory factory);
ScalarWriterFactory default_scalar_writer_factory();

}  // namespace cutrain::train
