// Model::fit over a user batch source (Keras' Sequence): the same fit loop
// and callbacks, with the source's batches coming through data::Loader's
// queue. The loop sees one "sample" per batch (batch_size 1, no shuffle), so
// index i of an epoch is batch i of the source.
#include <algorithm>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/lambda_callback.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

namespace {

class SourceTrainable final : public Trainable {
 public:
  SourceTrainable(Model& m, data::BatchSource source, int64_t steps, const FitOptions& o)
      : m_(m),
        source_(std::move(source)),
        steps_(steps),
        loader_(data::LoaderOptions{.num_workers = o.workers, .prefetch = o.max_queue_size}) {}

  int64_t num_samples() const override { return steps_; }
  void plan_batches(DataSource, bool, std::vector<std::vector<int64_t>> batches) override {
    first_ = batches.empty() ? 0 : batches.front().front();
    loader_.start_source(epoch_, static_cast<int64_t>(batches.size()),
                         [src = source_, first = first_](int64_t e, int64_t i) { return src(e, first + i); });
    planned_ = static_cast<int64_t>(batches.size());
    taken_ = 0;
  }
  Logs train_batch(std::span<const int64_t> idx, std::span<const double>) override {
    CUTRAIN_CHECK(idx.size() == 1, "fit(source): one batch per step");
    if (taken_ >= planned_ || first_ + taken_ != idx[0]) plan_batches(DataSource::main, true, {{idx[0]}});
    ++taken_;
    std::optional<data::Batch> b = loader_.next();
    CUTRAIN_CHECK(b.has_value(), "fit(source): the loader ended before batch ", idx[0]);
    return m_.train_on_batch(b->images, b->labels);
  }
  Logs evaluate_batch(DataSource, std::span<const int64_t>, std::span<const double>) override {
    CUTRAIN_THROW("fit(source): validation is not supported with a batch source");
  }

  void set_epoch(int64_t e) { epoch_ = e; }

  double learning_rate() const override { return m_.learning_rate(); }
  void set_learning_rate(double lr) override { m_.set_learning_rate(lr); }
  WeightSnapshot get_weights() const override { return m_.get_weights(); }
  void set_weights(const WeightSnapshot& w) override { m_.set_weights(w); }
  std::vector<std::string> weight_names() const override { return m_.weight_names(); }
  void save(const std::string& path, bool weights_only) override { m_.save(path, weights_only); }

 private:
  Model& m_;
  data::BatchSource source_;
  int64_t steps_;
  data::Loader loader_;
  int64_t epoch_ = 0, first_ = 0, planned_ = 0, taken_ = 0;
};

}  // namespace

History Model::fit(data::BatchSource source, int64_t steps_per_epoch, FitOptions options,
                   std::vector<std::shared_ptr<Callback>> callbacks) {
  CUTRAIN_CHECK(source != nullptr, "fit: no batch source");
  CUTRAIN_CHECK(steps_per_epoch > 0, "fit: a batch source needs steps_per_epoch > 0, got ", steps_per_epoch);
  CUTRAIN_CHECK(options.validation_split == 0 && !options.validation_data,
                "fit: validation is not supported with a batch source");
  CUTRAIN_CHECK(options.sample_weight.empty() && options.class_weight.empty() && options.output_class_weight.empty(),
                "fit: sample and class weights are not supported with a batch source");
  CUTRAIN_CHECK(options.steps_per_epoch == 0 || options.steps_per_epoch == steps_per_epoch,
                "fit: steps_per_epoch given twice (", options.steps_per_epoch, " and ", steps_per_epoch, ")");
  SourceTrainable t(*this, std::move(source), steps_per_epoch, options);
  // Keeps the model's epoch in step, before every other callback (as fit on
  // an ImageData), so checkpoints record the finished epoch.
  auto tracker = std::make_shared<LambdaCallback>();
  tracker->epoch_begin = [this, &t](int64_t e, Logs&) {
    set_epoch(e);
    t.set_epoch(e);
  };
  tracker->epoch_end = [this](int64_t e, Logs&) { finish_epoch(e); };
  callbacks.insert(callbacks.begin(), tracker);
  options.batch_size = 1;  // one loop "sample" per batch
  options.steps_per_epoch = 0;
  options.shuffle = false;
  return train::fit(t, options, std::move(callbacks));
}

}  // namespace cutrain::train
