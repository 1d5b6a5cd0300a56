// CPU streams and events: in-order task queues and completion flags.
//
// A threaded CpuStream owns one worker thread that runs tasks in order; the
// inline stream runs each task on the enqueuing thread. CpuEvent counts
// records: record() bumps `recorded_` and queues a task that raises
// `completed_` to that count; a wait queues a task that blocks until
// `completed_` reaches the count seen when the wait was queued. These are
// exactly CUDA's rules, so code written against them behaves the same on both.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"

namespace cutrain {

namespace {
std::atomic<uint64_t> g_next_stream_id{1};
}

StreamImpl::StreamImpl() : id_(g_next_stream_id.fetch_add(1)) {}

namespace {

class CpuEvent final : public EventImpl {
 public:
  void record(StreamImpl& s) override {
    CUTRAIN_CHECK(s.device().is_cpu(), "CPU event recorded on a ", s.device().str(), " stream");
    uint64_t target;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      target = ++state_->recorded;
    }
    auto state = state_;
    s.enqueue([state, target] {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->completed < target) state->completed = target;
      state->cv.notify_all();
    });
  }
  bool query() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->completed >= state_->recorded;
  }
  void synchronize() override {
    std::unique_lock<std::mutex> lock(state_->mu);
    const uint64_t target = state_->recorded;
    state_->cv.wait(lock, [&] { return state_->completed >= target; });
  }
  // A task that, when run, blocks until the event's current record completed.
  std::function<void()> waiter() {
    uint64_t target;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      target = state_->recorded;
    }
    auto state = state_;
    return [state, target] {
      std::unique_lock<std::mutex> lock(state->mu);
      state->cv.wait(lock, [&] { return state->completed >= target; });
    };
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t recorded = 0;
    uint64_t completed = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

class InlineCpuStream final : public StreamImpl {
 public:
  Device device() const override { return Device::cpu(); }
  void synchronize() override {}
  void wait(EventImpl& e) override { e.synchronize(); }
  void enqueue(std::function<void()> fn) override { fn(); }
};

class ThreadedCpuStream final : public StreamImpl {
 public:
  explicit ThreadedCpuStream(uint64_t jitter_seed) : rng_(jitter_seed), jitter_(jitter_seed != 0) {
    worker_ = std::thread([this] { run(); });
  }
  ~ThreadedCpuStream() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  Device device() const override { return Device::cpu(); }
  void synchronize() override {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }
  void wait(EventImpl& e) override {
    auto* cpu = dynamic_cast<CpuEvent*>(&e);
    CUTRAIN_CHECK(cpu != nullptr, "a CPU stream can only wait on a CPU event");
    enqueue(cpu->waiter());
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      if (jitter_) {
        // Vary interleavings between streams: yield or sleep a few microseconds.
        const uint64_t r = rng_() % 4;
        if (r == 1) std::this_thread::yield();
        if (r >= 2) std::this_thread::sleep_for(std::chrono::microseconds(r * 20));
      }
      try {
        task();
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        busy_ = false;
        if (queue_.empty()) idle_cv_.notify_all();
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::mt19937_64 rng_;
  bool jitter_;
  std::thread worker_;
};

}  // namespace

Stream make_cpu_stream(const CpuStreamOptions& options) {
  if (!options.threaded) return Stream(std::make_shared<InlineCpuStream>());
  return Stream(std::make_shared<ThreadedCpuStream>(options.jitter_seed));
}

std::shared_ptr<EventImpl> make_cpu_event() { return std::make_shared<CpuEvent>(); }

}  // namespace cutrain
