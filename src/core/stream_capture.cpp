#include "cutrain/core/stream_capture.h"

#include "cutrain/core/error.h"

namespace cutrain {

void StreamImpl::begin_capture() {
  CUTRAIN_THROW("stream capture is not supported on ", device().str(), " streams of this kind");
}
std::shared_ptr<CapturedWorkImpl> StreamImpl::end_capture() {
  CUTRAIN_THROW("end_capture: the stream is not capturing");
}
void StreamImpl::abort_capture() {}

void begin_capture(const Stream& origin) {
  CUTRAIN_CHECK(origin.valid(), "begin_capture: no stream");
  CUTRAIN_CHECK(!origin.impl().capturing(), "begin_capture: the stream is already capturing");
  origin.impl().begin_capture();
}

CapturedWork end_capture(const Stream& origin) {
  CUTRAIN_CHECK(origin.valid() && origin.impl().capturing(), "end_capture: the stream is not capturing");
  return CapturedWork(origin.impl().end_capture());
}

void abort_capture(const Stream& origin) {
  if (origin.valid() && origin.impl().capturing()) origin.impl().abort_capture();
}

}  // namespace cutrain
