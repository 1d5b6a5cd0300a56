// Tensor: a typed, shaped view of ref-counted storage on one device.
//
// Copies share storage (like PyTorch). Views (slice, reshape of contiguous
// data) share it too. Host and device are explicit: there is no hidden
// synchronizing copy; to(device, stream) is the only way across, and element
// access (data<T>(), at(), item()) is for CPU tensors only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/core/dtype.h"
#include "cutrain/core/error.h"
#include "cutrain/core/shape.h"
#include "cutrain/core/stream.h"

namespace cutrain {

class CachingAllocator;

void require_values_match(const Shape& shape, std::size_t n);

// Memory from a caching allocator, returned to it when the last Tensor goes.
class Storage {
 public:
  Storage(std::size_t bytes, Device device, const Stream& stream);
  // Wraps memory owned elsewhere (no free); for zero-copy views of user buffers.
  Storage(void* data, std::size_t bytes, Device device);
  // Memory from a pool other than the device's own (pinned host memory,
  // pinned_allocator.h): a copy from it to a GPU is asynchronous, so the
  // copy records its stream on the block, which is reused only after it.
  Storage(std::size_t bytes, CachingAllocator& allocator, const Stream& stream);
  // Wraps memory owned elsewhere; `deleter(data)` runs when the last Tensor goes.
  Storage(void* data, std::size_t bytes, Device device, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }
  // Tells the allocator the memory is used on `s` too (see CachingAllocator::record_stream).
  void record_stream(const Stream& s);
  // From a pinned pool (the constructor above): device copies record their stream.
  bool records_copies() const { return records_copies_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  Device device_;
  CachingAllocator* allocator_ = nullptr;
  bool records_copies_ = false;
  std::function<void(void*)> deleter_;
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor; defined() is false

  // Uninitialised memory on `device`, allocated for use on `stream`
  // (default: the device's default stream).
  static Tensor empty(const Shape& shape, DType dtype, Device device = Device::cpu(),
                      const Stream& stream = {});
  // Uninitialised memory from `allocator` (pinned_allocator.h), on its device.
  static Tensor empty_in(CachingAllocator& allocator, const Shape& shape, DType dtype, const Stream& stream);
  // Filled tensors. Without a device they are CPU tensors, filled inline; a
  // device tensor names the stream that fills it.
  static Tensor zeros(const Shape& shape, DType dtype);
  static Tensor zeros(const Shape& shape, DType dtype, Device device, const Stream& stream);
  static Tensor full(const Shape& shape, DType dtype, double value);
  static Tensor full(const Shape& shape, DType dtype, double value, Device device, const Stream& stream);
  // CPU tensor from values (converted to dtype). values.size() must equal numel.
  static Tensor from_vector(const Shape& shape, const std::vector<double>& values,
                            DType dtype = DType::f32);
  template <typename T>
  static Tensor from_data(const Shape& shape, const std::vector<T>& values);
  // A contiguous tensor over memory the caller owns (zero copy, like
  // torch::from_blob): `data` must hold shape.numel() elements of `dtype` on
  // `device` and outlive every tensor sharing it; `deleter` (optional) is
  // called with `data` when the last one goes.
  static Tensor from_blob(void* data, const Shape& shape, DType dtype, Device device = Device::cpu(),
                          std::function<void(void*)> deleter = {});

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const std::vector<int64_t>& strides() const { return strides_; }
  DType dtype() const { return dtype_; }
  Device device() const;
  int rank() const { return shape_.rank(); }
  int64_t numel() const { return shape_.numel(); }
  int64_t dim(int i) const { return shape_[i]; }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }
  int64_t offset() const { return offset_; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  // True when both tensors view the same memory region start (aliasing checks).
  bool same_storage(const Tensor& o) const { return storage_ == o.storage_; }

  void* raw_data() const;  // address of the first element (any device)
  template <typename T>
  T* data() const;  // CPU only, dtype checked

  // Views (share storage).
  Tensor slice(int dim, int64_t start, int64_t end) const;  // [start, end) along dim
  Tensor reshape(const Shape& shape) const;                 // contiguous only; one dim may be -1
  Tensor reshape(std::initializer_list<int64_t> dims) const;
  // Dimension i of the result is dimension dims[i] of this one (a strided
  // view, any device); dims is a permutation of 0..rank-1.
  Tensor permute(const std::vector<int64_t>& dims) const;
  // Copies and fills name their stream: one that touches a device runs in
  // that stream's order, so nothing synchronizes behind the caller's back.
  // The overloads without a stream are for host tensors (they run inline on
  // the calling thread) and refuse a device tensor with an error naming the
  // method.
  //
  // This tensor when contiguous, else a contiguous copy. Host tensors only:
  // a strided device copy would need a hidden host round trip (copy it with
  // to(Device::cpu(), stream) first).
  Tensor contiguous() const;
  Tensor contiguous(const Stream& stream) const;

  Tensor to(Device device, const Stream& stream) const;  // always a new tensor
  Tensor to(DType dtype) const;                          // CPU only
  Tensor clone() const;                                  // contiguous copy; host tensors
  Tensor clone(const Stream& stream) const;              // contiguous copy, same device
  void copy_from(const Tensor& src, const Stream& stream);  // same shape and dtype; any devices
  void fill(double value);                                  // host tensors
  void fill(double value, const Stream& stream);
  // Seeded, reproducible fills (Philox; element i depends only on seed and i).
  void uniform(double low, double high, uint64_t seed);  // host tensors
  void uniform(double low, double high, uint64_t seed, const Stream& stream);
  void normal(double mean, double stddev, uint64_t seed);  // host tensors
  void normal(double mean, double stddev, uint64_t seed, const Stream& stream);

  // CPU element access by multi-index or flat (row-major logical) index.
  double at(std::initializer_list<int64_t> index) const;
  double flat(int64_t i) const;
  void set_flat(int64_t i, double v);
  double item() const;                    // one-element CPU tensor
  std::vector<double> to_vector() const;  // CPU, logical order

  // "Tensor f32 [2, 3] cpu\n[[1, 2, 3], ...]" with at most `max_values` values shown.
  std::string str(int max_values = 8) const;

 private:
  Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape,
         std::vector<int64_t> strides, DType dtype);
  int64_t flat_to_offset(int64_t i) const;
  void require_cpu(const char* what) const;
  Stream host_stream(const char* what) const;

  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;  // in elements
  Shape shape_;
  std::vector<int64_t> strides_;  // in elements
  DType dtype_ = DType::f32;
};

template <typename T>
Tensor Tensor::from_data(const Shape& shape, const std::vector<T>& values) {
  Tensor t = empty(shape, dtype_v<T>);
  require_values_match(shape, values.size());
  T* p = t.data<T>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

// Max |a - b| over elements (CPU tensors of equal shape, any float dtype).
double max_abs_diff(const Tensor& a, const Tensor& b);
// Max |a - b| / max(|b|, tiny) over elements: the relative error of `a`
// against the reference `b` (CPU, equal shapes; NaN anywhere gives NaN).
double max_rel_diff(const Tensor& a, const Tensor& b);
// |a - b| <= atol + rtol * |b| for every element (numpy.allclose, b the
// reference; NaN is never close). CPU tensors of equal shape.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

// Layout helpers for rank-4 activations (views: permute, not copies; call
// contiguous() for a packed tensor). PyTorch is NCHW, cutrain NHWC.
Tensor nchw_to_nhwc(const Tensor& t);
Tensor nhwc_to_nchw(const Tensor& t);
// Conv weights: PyTorch's OIHW <-> cutrain's OHWI.
Tensor oihw_to_ohwi(const Tensor& t);
Tensor ohwi_to_oihw(const Tensor& t);

}  // namespace cutrain
