#include "interrupt.h"

#include <cerrno>
#include <cstring>

namespace cutrain::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  if (g_signal != 0) {
    // Second signal: give up waiting for the step boundary.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal = sig;
}

}  // namespace

SignalGuard::SignalGuard() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  CUTRAIN_CHECK(sigaction(SIGINT, &sa, &old_int_) == 0 && sigaction(SIGTERM, &sa, &old_term_) == 0,
                "cannot install the SIGINT/SIGTERM handlers: ", std::strerror(errno));
}

SignalGuard::~SignalGuard() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int SignalGuard::pending() { return g_signal; }

void StopOnSignal::on_train_batch_end(int64_t batch, train::Logs&) {
  stop_if_signalled("training batch", batch, on_train_stop_);
}

void StopOnSignal::on_test_batch_end(int64_t batch, train::Logs&) { stop_if_signalled("validation batch", batch, {}); }

void StopOnSignal::stop_if_signalled(const char* where, int64_t batch, const std::function<void()>& first) {
  const int sig = SignalGuard::pending();
  if (sig == 0) return;
  if (first) first();
  std::string msg = std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal") +
                    " after " + where + " " + std::to_string(batch + 1);
  if (!path_.empty()) {
    model().save(path_, /*weights_only=*/false);
    msg += "; checkpoint written to " + path_ + " (continue with --resume)";
  } else {
    msg += "; no checkpoint written (no --checkpoint-dir)";
  }
  throw Interrupted(msg, sig);
}

}  // namespace cutrain::cli
