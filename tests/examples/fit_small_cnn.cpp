// A Keras-style model defined, fitted and evaluated, against the installed
// package (tests/install builds and runs it).
#include <cstdio>
#include <memory>

#include "cutrain/data/dataset.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/image_data.h"
#include "cutrain/train/model.h"
#include "cutrain/train/schedules.h"

int main() {
  using namespace cutrain;
  data::SyntheticOptions d;  // learnable class patterns plus noise
  d.size = 512;
  d.height = d.width = 16;
  d.channels = 1;
  auto data = train::resize_image_data(std::make_shared<data::SyntheticDataset>(d), 16, 1, false);

  nn::NetworkSpec spec;  // input [32, 16, 16, 1] (batch 32 by default), 10 classes
  spec.height = spec.width = 16;
  spec.channels = 1;
  train::Model model(nn::small_cnn_builder(), spec);

  train::CompileOptions co;
  co.optimizer = train::adam(train::constant_schedule(0.01));
  co.losses = {train::LossSpec{"sparse_categorical_crossentropy"}};
  co.metrics = {"accuracy"};
  model.compile(co);

  train::FitOptions fo;
  fo.epochs = 3;
  fo.verbose = 0;
  const train::History h = model.fit(data, fo);
  train::EvaluateOptions eo;
  eo.verbose = 0;
  const train::Logs test = model.evaluate(data, eo);
  std::printf("example fit: loss %.3f -> %.3f, accuracy %.3f\n", h.history().at("loss").front(),
              h.history().at("loss").back(), test.at("accuracy"));
  return test.at("accuracy") > 0.5 ? 0 : 1;
}
