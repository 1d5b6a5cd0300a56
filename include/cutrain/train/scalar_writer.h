// ScalarWriter: where the TensorBoard callback sends scalars.
//
// The event-file writer lives in cutrain::io; the train layer sees only this
// interface, and a factory that opens one writer per run folder
// (logdir/train, logdir/validation). Until the real writer is plugged in with
// set_default_scalar_writer_factory, the default factory throws a clear error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cutrain::train {

class ScalarWriter {
 public:
  virtual ~ScalarWriter() = default;
  virtual void add_scalar(const std::string& tag, double value, int64_t step) = 0;
  virtual void flush() = 0;
};

// Opens a writer for one run folder (created by the writer if missing).
using ScalarWriterFactory = std::function<std::unique_ptr<ScalarWriter>(const std::string& run_dir)>;

// The factory TensorBoard uses when none is passed. Registry-style global:
// the io layer installs its event-file writer here at startup.
void set_default_scalar_writer_factory(ScalarWriterFactory factory);
ScalarWriterFactory default_scalar_writer_factory();

}  // namespace cutrain::train
