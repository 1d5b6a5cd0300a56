// CPU streams and events: in-order task queues and completion flags.
//
// A threaded CpuStream owns one worker thread that runs tasks in order; the
// inline stream runs each task on the enqueuing thread. CpuEvent counts
// records: record() bumps `recorded_` and queues a task that raises
// `completed_` to that count; a wait queues a task that blocks until
// `completed_` reaches the count seen when the wait was queued. These are
// exactly CUDA's rules, so code written against them behaves the same on both.
//
// Capture (stream_capture.h) is emulated with the same rules: a capturing
// stream appends its work, event records and waits to the capture's op list
// (one list for all its streams, in enqueue order), a stream joins by waiting
// on an event recorded in the capture, and replay re-enqueues the list.
// What CUDA forbids during capture (synchronizing a capturing stream,
// querying an event recorded in it, waiting on an outside event) throws.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"
#include "cutrain/core/stream_capture.h"

namespace cutrain {

namespace {
std::atomic<uint64_t> g_next_stream_id{1};
}

StreamImpl::StreamImpl() : id_(g_next_stream_id.fetch_add(1)) {}

namespace {

class CpuEvent;
class CpuStreamBase;

// A capture in progress (stream_capture.h): the recorded work of every
// stream in it, in enqueue order, and which streams joined and rejoined.
struct CpuCapture {
  enum class Kind { run, record, wait };
  struct Op {
    Kind kind;
    std::shared_ptr<StreamImpl> stream;
    std::shared_ptr<EventImpl> event;             // record, wait
    std::shared_ptr<std::function<void()>> fn;    // run
  };
  struct Member {
    StreamImpl* stream;
    size_t last_op = SIZE_MAX;
    bool joined = true;  // no work since the origin last waited on it
  };
  std::mutex mu;
  std::vector<Op> ops;
  std::vector<Member> members;  // the origin first
  bool active = true;

  Member& member(StreamImpl* s) {
    for (Member& m : members)
      if (m.stream == s) return m;
    members.push_back({s});
    return members.back();
  }
  size_t add(Op op) {
    std::lock_guard<std::mutex> lock(mu);
    ops.push_back(std::move(op));
    const size_t i = ops.size() - 1;
    Member& m = member(ops[i].stream.get());
    m.last_op = i;
    if (m.stream != members[0].stream) m.joined = false;
    return i;
  }
  // The origin waited on an event recorded on `s` as op `record_op`.
  void note_join(StreamImpl* s, size_t record_op) {
    std::lock_guard<std::mutex> lock(mu);
    Member& m = member(s);
    if (m.last_op == record_op) m.joined = true;
  }
};

class CpuEvent final : public EventImpl {
 public:
  void record(StreamImpl& s) override;
  bool query() override {
    require_not_captured("query");
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->completed >= state_->recorded;
  }
  void synchronize() override {
    require_not_captured("synchronize");
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
  // The active capture the last record of this event belongs to (else null),
  // with the stream and op index of that record.
  std::shared_ptr<CpuCapture> captured(StreamImpl** stream = nullptr, size_t* op = nullptr) {
    std::lock_guard<std::mutex> lock(state_->mu);
    std::shared_ptr<CpuCapture> c = captured_.lock();
    if (!c || !c->active) return nullptr;
    if (stream) *stream = record_stream_;
    if (op) *op = record_op_;
    return c;
  }

 private:
  void require_not_captured(const char* what) {
    CUTRAIN_CHECK(captured() == nullptr, "Event::", what,
                  " of an event recorded in a stream capture that is still going on (not allowed, as on CUDA)");
  }
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t recorded = 0;
    uint64_t completed = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  // Weak: the capture's ops hold this event.
  std::weak_ptr<CpuCapture> captured_;
  StreamImpl* record_stream_ = nullptr;
  size_t record_op_ = 0;
};

// What every CPU stream shares: capture mode, where enqueued work, event
// records and waits are recorded instead of run.
class CpuStreamBase : public StreamImpl {
 public:
  Device device() const override { return Device::cpu(); }
  void enqueue(std::function<void()> fn) final {
    if (std::shared_ptr<CpuCapture> c = capture()) {
      c->add({CpuCapture::Kind::run, shared_from_this(), nullptr,
              std::make_shared<std::function<void()>>(std::move(fn))});
      return;
    }
    run_or_queue(std::move(fn));
  }
  void wait(EventImpl& e) final {
    auto* cpu = dynamic_cast<CpuEvent*>(&e);
    CUTRAIN_CHECK(cpu != nullptr, "a CPU stream can only wait on a CPU event");
    StreamImpl* rs = nullptr;
    size_t rop = 0;
    std::shared_ptr<CpuCapture> ec = cpu->captured(&rs, &rop);
    std::shared_ptr<CpuCapture> mine = capture();
    if (!mine && ec) {
      // Waiting on an event recorded in a capture joins it (CUDA's rule).
      set_capture(ec);
      mine = ec;
    }
    if (!mine) {
      do_wait(*cpu);
      return;
    }
    CUTRAIN_CHECK(ec == mine, "a capturing CPU stream waits on an event recorded outside the capture "
                              "(not allowed, as on CUDA)");
    mine->add({CpuCapture::Kind::wait, shared_from_this(), e.shared_from_this(), nullptr});
    if (mine->members[0].stream == this) mine->note_join(rs, rop);
  }
  void synchronize() final {
    CUTRAIN_CHECK(!capturing(), "Stream::synchronize of a capturing stream (not allowed, as on CUDA)");
    do_synchronize();
  }
  bool capturing() const override { return capture() != nullptr; }
  std::shared_ptr<CpuCapture> capture() const {
    std::lock_guard<std::mutex> lock(cap_mu_);
    return capture_;
  }
  void set_capture(std::shared_ptr<CpuCapture> c) {
    std::lock_guard<std::mutex> lock(cap_mu_);
    capture_ = std::move(c);
  }

  void begin_capture() override {
    auto c = std::make_shared<CpuCapture>();
    c->members.push_back({this});
    set_capture(std::move(c));
  }
  std::shared_ptr<CapturedWorkImpl> end_capture() override;
  void abort_capture() override {
    std::shared_ptr<CpuCapture> c = capture();
    if (!c) return;
    finish(*c);
  }

 protected:
  virtual void run_or_queue(std::function<void()> fn) = 0;
  virtual void do_wait(CpuEvent& e) = 0;
  virtual void do_synchronize() = 0;

  // Takes every stream of the capture out of capture mode.
  static void finish(CpuCapture& c) {
    std::vector<StreamImpl*> streams;
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.active = false;
      for (const CpuCapture::Member& m : c.members) streams.push_back(m.stream);
    }
    for (StreamImpl* s : streams) static_cast<CpuStreamBase*>(s)->set_capture(nullptr);
  }

 private:
  mutable std::mutex cap_mu_;
  std::shared_ptr<CpuCapture> capture_;
};

class CpuCapturedWork final : public CapturedWorkImpl {
 public:
  explicit CpuCapturedWork(std::vector<CpuCapture::Op> ops) : ops_(std::move(ops)) {}
  void replay() override {
    for (const CpuCapture::Op& op : ops_) {
      switch (op.kind) {
        case CpuCapture::Kind::run:
          op.stream->enqueue([f = op.fn] { (*f)(); });
          break;
        case CpuCapture::Kind::record:
          op.event->record(*op.stream);
          break;
        case CpuCapture::Kind::wait:
          op.stream->wait(*op.event);
          break;
      }
    }
  }

 private:
  std::vector<CpuCapture::Op> ops_;
};

std::shared_ptr<CapturedWorkImpl> CpuStreamBase::end_capture() {
  std::shared_ptr<CpuCapture> c = capture();
  CUTRAIN_CHECK(c != nullptr, "end_capture: the stream is not capturing");
  CUTRAIN_CHECK(c->members[0].stream == this, "end_capture must be called on the stream the capture began on");
  size_t unjoined = 0;
  {
    std::lock_guard<std::mutex> lock(c->mu);
    for (const CpuCapture::Member& m : c->members)
      if (!m.joined) ++unjoined;
  }
  if (unjoined > 0) {
    finish(*c);
    CUTRAIN_THROW("end_capture: ", unjoined, " stream(s) that joined the capture were not joined back into ",
                  "the stream it began on (wait on an event recorded after their last work)");
  }
  finish(*c);
  std::lock_guard<std::mutex> lock(c->mu);
  return std::make_shared<CpuCapturedWork>(std::move(c->ops));
}

void CpuEvent::record(StreamImpl& s) {
  CUTRAIN_CHECK(s.device().is_cpu(), "CPU event recorded on a ", s.device().str(), " stream");
  auto* cs = dynamic_cast<CpuStreamBase*>(&s);
  if (cs != nullptr) {
    if (std::shared_ptr<CpuCapture> c = cs->capture()) {
      const size_t op = c->add({CpuCapture::Kind::record, s.shared_from_this(), shared_from_this(), nullptr});
      std::lock_guard<std::mutex> lock(state_->mu);
      captured_ = c;
      record_stream_ = &s;
      record_op_ = op;
      return;
    }
  }
  uint64_t target;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    captured_.reset();
    target = ++state_->recorded;
  }
  auto state = state_;
  s.enqueue([state, target] {
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->completed < target) state->completed = target;
    state->cv.notify_all();
  });
}

class InlineCpuStream final : public CpuStreamBase {
 protected:
  void run_or_queue(std::function<void()> fn) override { fn(); }
  void do_wait(CpuEvent& e) override { e.synchronize(); }
  void do_synchronize() override {}
};

class ThreadedCpuStream final : public CpuStreamBase {
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

 protected:
  void do_synchronize() override {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }
  void do_wait(CpuEvent& e) override { run_or_queue(e.waiter()); }
  void run_or_queue(std::function<void()> fn) override {
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
