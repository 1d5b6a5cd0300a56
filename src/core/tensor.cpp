#include "cutrain/core/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "cutrain/core/backend.h"
#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/error.h"
#include "cutrain/core/philox.h"

namespace cutrain {

namespace {
Stream resolve(const Stream& s, Device d) { return s.valid() ? s : Stream::default_stream(d); }
}  // namespace

void require_values_match(const Shape& shape, std::size_t n) {
  CUTRAIN_CHECK(static_cast<int64_t>(n) == shape.numel(), "got ", n, " values for shape ",
                shape.str(), " (", shape.numel(), " elements)");
}

Storage::Storage(std::size_t bytes, Device device, const Stream& stream)
    : bytes_(bytes), device_(device) {
  allocator_ = &backend_for(device).allocator(device.index);
  data_ = allocator_->allocate(bytes, resolve(stream, device));
}

Storage::Storage(void* data, std::size_t bytes, Device device)
    : data_(data), bytes_(bytes), device_(device) {}

Storage::Storage(std::size_t bytes, CachingAllocator& allocator, const Stream& stream)
    : bytes_(bytes), device_(allocator.device()), allocator_(&allocator), records_copies_(true) {
  data_ = allocator_->allocate(bytes, stream);
}
Storage::Storage(void* data, std::size_t bytes, Device device, std::function<void(void*)> deleter)
    : data_(data), bytes_(bytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (allocator_) allocator_->deallocate(data_);
  if (deleter_) deleter_(data_);
}

void Storage::record_stream(const Stream& s) {
  if (allocator_) allocator_->record_stream(data_, s);
}

Tensor::Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape,
               std::vector<int64_t> strides, DType dtype)
    : storage_(std::move(storage)),
      offset_(offset),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      dtype_(dtype) {}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device, const Stream& stream) {
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
  auto storage = std::make_shared<Storage>(bytes, device, stream);
  return Tensor(std::move(storage), 0, shape, shape.contiguous_strides(), dtype);
}

Tensor Tensor::empty_in(CachingAllocator& allocator, const Shape& shape, DType dtype, const Stream& stream) {
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
  auto storage = std::make_shared<Storage>(bytes, allocator, stream);
  return Tensor(std::move(storage), 0, shape, shape.contiguous_strides(), dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device, const Stream& stream) {
  Tensor t = empty(shape, dtype, device, stream);
  backend_for(device).memset(t.raw_data(), 0, t.nbytes(), resolve(stream, device));
  return t;
}

Tensor Tensor::full(const Shape& shape, DType dtype, double value, Device device,
                    const Stream& stream) {
  Tensor t = empty(shape, dtype, device, stream);
  t.fill(value, stream);
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  return zeros(shape, dtype, Device::cpu(), Stream::default_stream(Device::cpu()));
}

Tensor Tensor::full(const Shape& shape, DType dtype, double value) {
  return full(shape, dtype, value, Device::cpu(), Stream::default_stream(Device::cpu()));
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<double>& values, DType dtype) {
  require_values_match(shape, values.size());
  Tensor t = empty(shape, dtype);
  auto* p = static_cast<char*>(t.raw_data());
  const std::size_t es = dtype_size(dtype);
  for (std::size_t i = 0; i < values.size(); ++i) store_from_double(p + i * es, dtype, values[i]);
  return t;
}

Tensor Tensor::from_blob(void* data, const Shape& shape, DType dtype, Device device,
                         std::function<void(void*)> deleter) {
  CUTRAIN_CHECK(data != nullptr || shape.numel() == 0, "from_blob: null data for shape ", shape.str());
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
  auto storage = std::make_shared<Storage>(data, bytes, device, std::move(deleter));
  return Tensor(std::move(storage), 0, shape, shape.contiguous_strides(), dtype);
}

Device Tensor::device() const {
  CUTRAIN_CHECK(defined(), "device() of an undefined tensor");
  return storage_->device();
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[static_cast<size_t>(i)] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  CUTRAIN_CHECK(defined(), "data of an undefined tensor");
  return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(dtype_size(dtype_));
}

void Tensor::require_cpu(const char* what) const {
  CUTRAIN_CHECK(defined(), what, ": tensor is undefined");
  CUTRAIN_CHECK(device().is_cpu(), what, ": tensor is on ", device().str(),
                "; copy it with to(Device::cpu(), stream) first");
}

// The stream-less overloads: host tensors, inline on the CPU default stream.
Stream Tensor::host_stream(const char* what) const {
  CUTRAIN_CHECK(defined(), what, ": tensor is undefined");
  CUTRAIN_CHECK(device().is_cpu(), what, ": tensor is on ", device().str(), "; pass the stream that orders it");
  return Stream::default_stream(Device::cpu());
}

Tensor Tensor::contiguous() const {
  return defined() && is_contiguous() ? *this : contiguous(host_stream("contiguous()"));
}
Tensor Tensor::clone() const { return clone(host_stream("clone()")); }
void Tensor::fill(double value) { fill(value, host_stream("fill(value)")); }
void Tensor::uniform(double low, double high, uint64_t seed) {
  uniform(low, high, seed, host_stream("uniform(low, high, seed)"));
}
void Tensor::normal(double mean, double stddev, uint64_t seed) {
  normal(mean, stddev, seed, host_stream("normal(mean, stddev, seed)"));
}

template <typename T>
T* Tensor::data() const {
  require_cpu("data<T>()");
  CUTRAIN_CHECK(dtype_ == dtype_v<T>, "data<", dtype_name(dtype_v<T>), ">() on a tensor of dtype ",
                dtype_name(dtype_));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template Half* Tensor::data<Half>() const;
template BFloat16* Tensor::data<BFloat16>() const;
template int32_t* Tensor::data<int32_t>() const;
template int64_t* Tensor::data<int64_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;
template bool* Tensor::data<bool>() const;

Tensor Tensor::slice(int dim, int64_t start, int64_t end) const {
  const int d = shape_.normalize_axis(dim);
  const int64_t n = shape_[d];
  CUTRAIN_CHECK(0 <= start && start <= end && end <= n, "slice [", start, ", ", end,
                ") out of range for dimension ", d, " of shape ", shape_.str());
  std::vector<int64_t> dims = shape_.dims();
  dims[static_cast<size_t>(d)] = end - start;
  return Tensor(storage_, offset_ + start * strides_[static_cast<size_t>(d)], Shape(dims),
                strides_, dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  CUTRAIN_CHECK(is_contiguous(), "reshape of a non-contiguous tensor ", shape_.str(),
                " (make it contiguous with clone() first)");
  std::vector<int64_t> dims = shape.dims();
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      CUTRAIN_CHECK(infer < 0, "reshape to ", shape.str(), ": at most one -1");
      infer = static_cast<int>(i);
    } else {
      known *= dims[i];
    }
  }
  if (infer >= 0) {
    CUTRAIN_CHECK(known > 0 && numel() % known == 0, "cannot reshape ", shape_.str(), " to ",
                  shape.str());
    dims[static_cast<size_t>(infer)] = numel() / known;
  }
  Shape out(dims);
  CUTRAIN_CHECK(out.numel() == numel(), "cannot reshape ", shape_.str(), " (", numel(),
                " elements) to ", out.str());
  return Tensor(storage_, offset_, out, out.contiguous_strides(), dtype_);
}

Tensor Tensor::reshape(std::initializer_list<int64_t> dims) const {
  // Shape rejects negative dims, so route -1 through a vector first.
  std::vector<int64_t> v(dims);
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == -1) infer = static_cast<int>(i); else known *= v[i];
  }
  if (infer >= 0 && known > 0) v[static_cast<size_t>(infer)] = numel() / known;
  return reshape(Shape(v));
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  CUTRAIN_CHECK(static_cast<int>(dims.size()) == rank(), "permute: ", dims.size(), " dims for a tensor of shape ",
                shape_.str());
  std::vector<bool> seen(dims.size(), false);
  std::vector<int64_t> shape(dims.size()), strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = dims[i];
    CUTRAIN_CHECK(d >= 0 && d < rank() && !seen[static_cast<size_t>(d)], "permute: (", [&] {
      std::string s;
      for (int64_t x : dims) s += (s.empty() ? "" : ", ") + std::to_string(x);
      return s;
    }(), ") is not a permutation of the dims of ", shape_.str());
    seen[static_cast<size_t>(d)] = true;
    shape[i] = shape_[static_cast<int>(d)];
    strides[i] = strides_[static_cast<size_t>(d)];
  }
  return Tensor(storage_, offset_, Shape(shape), std::move(strides), dtype_);
}

Tensor Tensor::contiguous(const Stream& stream) const {
  CUTRAIN_CHECK(defined(), "contiguous() of an undefined tensor");
  if (is_contiguous()) return *this;
  CUTRAIN_CHECK(device().is_cpu(), "contiguous(): strided tensor ", shape_.str(), " is on ", device().str(),
                "; copy it with to(Device::cpu(), stream) first");
  Tensor out = empty(shape_, dtype_, device(), stream);
  out.copy_from(*this, stream);
  return out;
}

Tensor Tensor::to(Device device, const Stream& stream) const {
  Tensor out = empty(shape_, dtype_, device, stream);
  out.copy_from(*this, stream);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  require_cpu("to(dtype)");
  Tensor out = empty(shape_, dtype);
  const int64_t n = numel();
  auto* p = static_cast<char*>(out.raw_data());
  const std::size_t es = dtype_size(dtype);
  for (int64_t i = 0; i < n; ++i) store_from_double(p + i * static_cast<int64_t>(es), dtype, flat(i));
  return out;
}

Tensor Tensor::clone(const Stream& stream) const { return to(device(), stream); }

void Tensor::copy_from(const Tensor& src, const Stream& stream) {
  CUTRAIN_CHECK(src.shape_ == shape_ && src.dtype_ == dtype_, "copy_from: source ",
                dtype_name(src.dtype_), src.shape_.str(), " does not match destination ",
                dtype_name(dtype_), shape_.str());
  const Device dd = device(), sd = src.device();
  DeviceBackend& b = backend_for(dd.is_cuda() ? dd : sd);
  const Stream s = resolve(stream, dd.is_cuda() ? dd : sd);
  if (is_contiguous() && src.is_contiguous()) {
    b.copy(raw_data(), dd, src.raw_data(), sd, nbytes(), s);
    // From pinned memory the backend does not wait for the copy: keep the
    // block from reuse until the stream has done it.
    if (dd.is_cuda() && !sd.is_cuda() && src.storage_->records_copies()) src.storage_->record_stream(s);
    return;
  }
  // Strided copies run element by element on the host; device tensors take a
  // contiguous host round trip, explicit and in stream order.
  CUTRAIN_CHECK(dd.is_cpu() && sd.is_cpu(), "copy_from: strided copy between ", sd.str(), " and ",
                dd.str(), " needs contiguous tensors");
  Tensor dst = *this;
  s.enqueue([dst, src]() mutable {
    const std::size_t es = dtype_size(dst.dtype_);
    for (int64_t i = 0; i < dst.numel(); ++i) {
      std::memcpy(static_cast<char*>(dst.storage_->data()) + dst.flat_to_offset(i) * static_cast<int64_t>(es),
                  static_cast<const char*>(src.storage_->data()) + src.flat_to_offset(i) * static_cast<int64_t>(es), es);
    }
  });
}

void Tensor::fill(double value, const Stream& stream) {
  Tensor host = device().is_cpu() ? *this : empty(shape_, dtype_);
  const int64_t n = numel();
  const std::size_t es = dtype_size(dtype_);
  std::vector<char> one(es);
  store_from_double(one.data(), dtype_, value);
  auto* base = static_cast<char*>(host.storage_->data());
  // A device tensor is filled through a host buffer that must be written
  // before the copy is issued: cudaMemcpyAsync reads pageable memory at call
  // time, not in stream order. So the host fill runs inline in that case.
  const Stream s = device().is_cpu() ? resolve(stream, Device::cpu()) : Stream::default_stream(Device::cpu());
  s.enqueue([=] {
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(base + host.flat_to_offset(i) * static_cast<int64_t>(es), one.data(), es);
  });
  if (!device().is_cpu()) copy_from(host, stream);
}

namespace {
// Shared by uniform() and normal(): values generated on the host in logical
// order from Philox, then stored (and copied to the device if needed).
template <typename Gen>
void fill_generated(Tensor& t, const Stream& stream, Gen gen) {
  Tensor host = t.device().is_cpu() && t.is_contiguous() ? t : Tensor::empty(t.shape(), t.dtype());
  auto* p = static_cast<char*>(host.raw_data());
  const std::size_t es = dtype_size(t.dtype());
  for (int64_t i = 0; i < t.numel(); ++i)
    store_from_double(p + i * static_cast<int64_t>(es), t.dtype(), gen(static_cast<uint64_t>(i)));
  if (!host.same_storage(t)) t.copy_from(host, stream);
}
}  // namespace

void Tensor::uniform(double low, double high, uint64_t seed, const Stream& stream) {
  fill_generated(*this, stream, [=](uint64_t i) {
    const Philox4x32 r = philox4x32(i, 0, seed);
    return low + (high - low) * (philox_uniform_double(r.v[0], r.v[1]) - 0x1p-53);
  });
}

void Tensor::normal(double mean, double stddev, uint64_t seed, const Stream& stream) {
  fill_generated(*this, stream, [=](uint64_t i) {
    // Box-Muller on two 53-bit uniforms of counter i: one normal per element,
    // so element i does not depend on the tensor's size.
    const Philox4x32 r = philox4x32(i, 1, seed);
    const double u1 = philox_uniform_double(r.v[0], r.v[1]);
    const double u2 = philox_uniform_double(r.v[2], r.v[3]);
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  });
}

int64_t Tensor::flat_to_offset(int64_t i) const {
  int64_t off = offset_;
  for (int d = rank() - 1; d >= 0; --d) {
    const int64_t n = shape_[d];
    off += (i % n) * strides_[static_cast<size_t>(d)];
    i /= n;
  }
  return off;
}

double Tensor::flat(int64_t i) const {
  require_cpu("flat()");
  CUTRAIN_CHECK(i >= 0 && i < numel(), "flat index ", i, " out of range for ", shape_.str());
  return load_as_double(static_cast<const char*>(storage_->data()) +
                            flat_to_offset(i) * static_cast<int64_t>(dtype_size(dtype_)),
                        dtype_);
}

void Tensor::set_flat(int64_t i, double v) {
  require_cpu("set_flat()");
  CUTRAIN_CHECK(i >= 0 && i < numel(), "flat index ", i, " out of range for ", shape_.str());
  store_from_double(static_cast<char*>(storage_->data()) +
                        flat_to_offset(i) * static_cast<int64_t>(dtype_size(dtype_)),
                    dtype_, v);
}

double Tensor::at(std::initializer_list<int64_t> index) const {
  CUTRAIN_CHECK(static_cast<int>(index.size()) == rank(), "at(): ", index.size(),
                " indices for a tensor of rank ", rank());
  int64_t flat_index = 0;
  int d = 0;
  for (int64_t i : index) {
    CUTRAIN_CHECK(i >= 0 && i < shape_[d], "at(): index ", i, " out of range for dimension ", d,
                  " of ", shape_.str());
    flat_index = flat_index * shape_[d] + i;
    ++d;
  }
  return flat(flat_index);
}

double Tensor::item() const {
  CUTRAIN_CHECK(numel() == 1, "item() of a tensor with ", numel(), " elements ", shape_.str());
  return flat(0);
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = flat(i);
  return v;
}

std::string Tensor::str(int max_values) const {
  if (!defined()) return "Tensor (undefined)";
  std::ostringstream os;
  os << "Tensor " << dtype_name(dtype_) << " " << shape_.str() << " " << device().str();
  if (!device().is_cpu()) return os.str();
  os << " [";
  const int64_t n = numel();
  for (int64_t i = 0; i < n && i < max_values; ++i) os << (i ? ", " : "") << flat(i);
  if (n > max_values) os << ", ...";
  os << "]";
  return os.str();
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  CUTRAIN_CHECK(a.shape() == b.shape(), "max_abs_diff: shapes ", a.shape().str(), " and ",
                b.shape().str(), " differ");
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = std::fabs(a.flat(i) - b.flat(i));
    if (std::isnan(d)) return d;
    m = std::max(m, d);
  }
  return m;
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
  CUTRAIN_CHECK(a.shape() == b.shape(), "max_rel_diff: shapes ", a.shape().str(), " and ",
                b.shape().str(), " differ");
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double ref = b.flat(i);
    const double d = std::fabs(a.flat(i) - ref) / std::max(std::fabs(ref), 1e-30);
    if (std::isnan(d)) return d;
    m = std::max(m, d);
  }
  return m;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  CUTRAIN_CHECK(a.shape() == b.shape(), "allclose: shapes ", a.shape().str(), " and ", b.shape().str(),
                " differ");
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.flat(i), y = b.flat(i);
    // Written so that NaN compares false.
    if (!(std::fabs(x - y) <= atol + rtol * std::fabs(y))) return false;
  }
  return true;
}

namespace {
Tensor permute4(const Tensor& t, const char* what, std::vector<int64_t> dims) {
  CUTRAIN_CHECK(t.rank() == 4, what, ": expected a rank-4 tensor, got ", t.shape().str());
  return t.permute(dims);
}
}  // namespace

Tensor nchw_to_nhwc(const Tensor& t) { return permute4(t, "nchw_to_nhwc", {0, 2, 3, 1}); }
Tensor nhwc_to_nchw(const Tensor& t) { return permute4(t, "nhwc_to_nchw", {0, 3, 1, 2}); }
Tensor oihw_to_ohwi(const Tensor& t) { return permute4(t, "oihw_to_ohwi", {0, 2, 3, 1}); }
Tensor ohwi_to_oihw(const Tensor& t) { return permute4(t, "ohwi_to_oihw", {0, 3, 1, 2}); }

}  // namespace cutrain
