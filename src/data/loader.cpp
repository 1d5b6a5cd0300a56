#include "cutrain/data/loader.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>

#include "cutrain/core/error.h"
#include "cutrain/data/shuffle.h"

namespace cutrain::data {

namespace {

// Rethrows the current exception as an Error that starts with `context`
// (a worker's error must say which batch and sample it came from; the type
// is not kept, the message is).
[[noreturn]] void rethrow_with(const std::string& context) {
  try {
    throw;
  } catch (const std::exception& e) {
    throw Error(context + e.what());
  } catch (...) {
    throw Error(context + "unknown exception");
  }
}

}  // namespace

struct Loader::State {
  std::mutex mu;
  std::condition_variable work_cv;   // workers wait for claimable batches
  std::condition_variable ready_cv;  // the consumer waits for the next batch
  bool stop = false;
  bool started = false;
  uint64_t generation = 0;  // bumped by every start; stale results are dropped
  MakeBatch make;           // builds batch i of the current sequence
  int64_t num_batches = 0;
  int64_t next_claim = 0;
  int64_t next_deliver = 0;
  struct Result {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };
  std::map<int64_t, Result> ready;  // the reorder buffer
  std::vector<std::thread> workers;
};

Loader::Loader(std::shared_ptr<const Dataset> dataset, Transform transform, LoaderOptions options)
    : dataset_(std::move(dataset)),
      transform_(std::move(transform)),
      options_(std::move(options)),
      state_(std::make_unique<State>()) {
  CUTRAIN_CHECK(dataset_ != nullptr, "Loader: no dataset");
  CUTRAIN_CHECK(
      transform_.apply && transform_.height > 0 && transform_.width > 0 && transform_.channels > 0,
      "Loader: the transform has no function or no output size");
  CUTRAIN_CHECK(options_.batch_size > 0, "Loader: batch_size must be positive, got ",
                options_.batch_size);
  CUTRAIN_CHECK(options_.num_workers >= 0, "Loader: num_workers must be >= 0, got ",
                options_.num_workers);
  CUTRAIN_CHECK(options_.prefetch >= 1, "Loader: prefetch must be >= 1, got ", options_.prefetch);
  if (!options_.allocate) {
    options_.allocate = [](const Shape& s, DType t) { return Tensor::empty(s, t); };
  }
  for (int i = 0; i < options_.num_workers; ++i) {
    state_->workers.emplace_back([this] { worker_loop(); });
  }
}

Loader::Loader(LoaderOptions options) : options_(std::move(options)), state_(std::make_unique<State>()) {
  CUTRAIN_CHECK(options_.num_workers >= 0, "Loader: num_workers must be >= 0, got ",
                options_.num_workers);
  CUTRAIN_CHECK(options_.prefetch >= 1, "Loader: prefetch must be >= 1, got ", options_.prefetch);
  for (int i = 0; i < options_.num_workers; ++i) {
    state_->workers.emplace_back([this] { worker_loop(); });
  }
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop = true;
  }
  state_->work_cv.notify_all();
  for (std::thread& t : state_->workers) t.join();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t n = dataset_size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<std::size_t>(dataset_size()));
  std::iota(order.begin(), order.end(), 0);
  if (!options_.shuffle) return order;
  return shuffled_order(std::move(order), options_.seed, epoch);
}

void Loader::start(int64_t num_batches, MakeBatch make) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->generation;
    state_->started = true;
    state_->make = std::move(make);
    state_->num_batches = num_batches;
    state_->next_claim = 0;
    state_->next_deliver = 0;
    state_->ready.clear();
  }
  state_->work_cv.notify_all();
}

void Loader::start_epoch(int64_t epoch) {
  CUTRAIN_CHECK(dataset_ != nullptr, "Loader::start_epoch: this loader has no dataset (use start_source)");
  auto order = std::make_shared<const std::vector<int64_t>>(epoch_order(epoch));
  const int64_t b = options_.batch_size, n = static_cast<int64_t>(order->size());
  start(batches_per_epoch(), [this, order, epoch, b, n](int64_t i) {
    const int64_t lo = i * b, hi = std::min(n, lo + b);
    return build(epoch, i, std::vector<int64_t>(order->begin() + lo, order->begin() + hi));
  });
}

void Loader::start_batches(int64_t epoch, std::vector<std::vector<int64_t>> batches) {
  CUTRAIN_CHECK(dataset_ != nullptr, "Loader::start_batches: this loader has no dataset (use start_source)");
  const int64_t n = dataset_->size();
  for (std::size_t i = 0; i < batches.size(); ++i) {
    CUTRAIN_CHECK(!batches[i].empty(), "Loader::start_batches: batch ", i, " has no samples");
    for (int64_t idx : batches[i])
      CUTRAIN_CHECK(idx >= 0 && idx < n, "Loader::start_batches: batch ", i, " asks for sample ", idx,
                    " of a dataset of ", n);
  }
  auto plan = std::make_shared<const std::vector<std::vector<int64_t>>>(std::move(batches));
  start(static_cast<int64_t>(plan->size()),
        [this, plan, epoch](int64_t i) { return build(epoch, i, (*plan)[static_cast<std::size_t>(i)]); });
}

void Loader::start_source(int64_t epoch, int64_t num_batches, BatchSource source) {
  CUTRAIN_CHECK(source != nullptr, "Loader::start_source: no source");
  CUTRAIN_CHECK(num_batches >= 0, "Loader::start_source: num_batches must be >= 0, got ", num_batches);
  start(num_batches, [source = std::move(source), epoch](int64_t i) {
    Batch b;
    try {
      b = source(epoch, i);
    } catch (...) {
      rethrow_with("batch source failed at batch " + std::to_string(i) + " of epoch " + std::to_string(epoch) +
                   ": ");
    }
    CUTRAIN_CHECK(b.images.defined() && b.images.rank() >= 1 && b.images.dim(0) > 0,
                  "batch source: batch ", i, " of epoch ", epoch, " has no images");
    CUTRAIN_CHECK(!b.labels.defined() || (b.labels.rank() == 1 && b.labels.dim(0) == b.images.dim(0)),
                  "batch source: batch ", i, " of epoch ", epoch, " has ", b.images.dim(0),
                  " images but labels of shape ", b.labels.shape().str());
    b.epoch = epoch;
    b.index = i;
    return b;
  });
}

Batch Loader::build(int64_t epoch, int64_t batch, const std::vector<int64_t>& rows_idx) const {
  const auto rows = static_cast<int64_t>(rows_idx.size());
  const int h = transform_.height, w = transform_.width, c = transform_.channels;
  Batch b;
  b.epoch = epoch;
  b.index = batch;
  b.images = options_.allocate(Shape{rows, h, w, c}, DType::f32);
  b.labels = options_.allocate(Shape{rows}, DType::i32);
  CUTRAIN_CHECK(b.images.defined() && b.images.device().is_cpu() && b.images.is_contiguous() &&
                    b.labels.defined() && b.labels.device().is_cpu(),
                "Loader: the batch allocator must return contiguous host tensors");
  float* img = b.images.data<float>();
  int32_t* lab = b.labels.data<int32_t>();
  const std::size_t per = static_cast<std::size_t>(h) * w * c;
  b.sample_indices = rows_idx;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t idx = rows_idx[static_cast<std::size_t>(r)];
    try {
      const Sample s = dataset_->get(idx);
      SampleRng rng(options_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(idx));
      transform_.apply(s.image, rng, img + static_cast<std::size_t>(r) * per);
      lab[r] = s.label;
    } catch (...) {
      rethrow_with("Loader: batch " + std::to_string(batch) + " of epoch " + std::to_string(epoch) + ", sample " +
                   std::to_string(idx) + ": ");
    }
  }
  return b;
}

void Loader::worker_loop() {
  State& st = *state_;
  std::unique_lock<std::mutex> lock(st.mu);
  for (;;) {
    st.work_cv.wait(lock, [&] {
      return st.stop || (st.started && st.next_claim < st.num_batches &&
                         st.next_claim < st.next_deliver + 1 + options_.prefetch);
    });
    if (st.stop) return;
    const int64_t batch = st.next_claim++;
    const uint64_t generation = st.generation;
    const MakeBatch make = st.make;  // a copy: a restart may replace it while this batch builds
    lock.unlock();
    State::Result result;
    try {
      result.batch = make(batch);
    } catch (...) {
      result.error = std::current_exception();
    }
    lock.lock();
    if (generation == st.generation) {
      st.ready.emplace(batch, std::move(result));
      st.ready_cv.notify_all();
    }
  }
}

std::optional<Batch> Loader::next() {
  State& st = *state_;
  std::unique_lock<std::mutex> lock(st.mu);
  CUTRAIN_CHECK(st.started, "Loader::next() before start_epoch()");
  if (st.next_deliver >= st.num_batches) return std::nullopt;
  const int64_t want = st.next_deliver;
  if (st.workers.empty()) {
    // No workers: build in place (still deterministic, useful for debugging).
    const MakeBatch make = st.make;
    ++st.next_deliver;
    st.next_claim = st.next_deliver;
    lock.unlock();
    return make(want);
  }
  st.ready_cv.wait(lock, [&] { return st.ready.count(want) > 0; });
  State::Result result = std::move(st.ready.at(want));
  st.ready.erase(want);
  ++st.next_deliver;
  lock.unlock();
  st.work_cv.notify_all();
  if (result.error) std::rethrow_exception(result.error);
  return std::move(result.batch);
}

}  // namespace cutrain::data
