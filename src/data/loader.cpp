#include "cutrain/data/loader.h"

#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "cutrain/core/error.h"
#include "cutrain/core/philox.h"

namespace cutrain::data {

struct Loader::State {
  std::mutex mu;
  std::condition_variable work_cv;   // workers wait for claimable batches
  std::condition_variable ready_cv;  // the consumer waits for the next batch
  bool stop = false;
  bool started = false;
  uint64_t generation = 0;  // bumped by start_epoch; stale results are dropped
  int64_t epoch = 0;
  std::shared_ptr<const std::vector<int64_t>> order;
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

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop = true;
  }
  state_->work_cv.notify_all();
  for (std::thread& t : state_->workers) t.join();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<std::size_t>(dataset_->size()));
  std::iota(order.begin(), order.end(), 0);
  if (!options_.shuffle) return order;
  // Fisher-Yates with Philox words keyed by (seed, epoch): the same on every
  // platform and standard library, unlike std::shuffle.
  const uint64_t key = options_.seed ^ 0x5DEECE66Dull;
  for (std::size_t i = order.size(); i > 1; --i) {
    const Philox4x32 r = philox4x32(i, static_cast<uint64_t>(epoch), key);
    const uint64_t word = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
    const std::size_t j = static_cast<std::size_t>(word % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

void Loader::start_epoch(int64_t epoch) {
  auto order = std::make_shared<const std::vector<int64_t>>(epoch_order(epoch));
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->generation;
    state_->started = true;
    state_->epoch = epoch;
    state_->order = std::move(order);
    state_->num_batches = batches_per_epoch();
    state_->next_claim = 0;
    state_->next_deliver = 0;
    state_->ready.clear();
  }
  state_->work_cv.notify_all();
}

Batch Loader::build(int64_t epoch, int64_t batch, const std::vector<int64_t>& order) const {
  const int64_t begin = batch * options_.batch_size;
  const int64_t rows =
      std::min<int64_t>(options_.batch_size, static_cast<int64_t>(order.size()) - begin);
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
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t idx = order[static_cast<std::size_t>(begin + r)];
    b.sample_indices.push_back(idx);
    const Sample s = dataset_->get(idx);
    SampleRng rng(options_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(idx));
    transform_.apply(s.image, rng, img + static_cast<std::size_t>(r) * per);
    lab[r] = s.label;
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
    const int64_t epoch = st.epoch;
    const std::shared_ptr<const std::vector<int64_t>> order = st.order;
    lock.unlock();
    State::Result result;
    try {
      result.batch = build(epoch, batch, *order);
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
    const int64_t epoch = st.epoch;
    const auto order = st.order;
    ++st.next_deliver;
    st.next_claim = st.next_deliver;
    lock.unlock();
    return build(epoch, want, *order);
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
