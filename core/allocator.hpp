#pragma once
// Every byte a kernel or the harness allocates goes through an Allocator, so that peak memory per
// point is known exactly (measure/ provides tracking host and device implementations).
#include <cstddef>
#include <memory>
#include <new>
#include <string>

namespace fa {

// Thrown by an allocator that cannot satisfy a request; the harness turns it into an `oom` row.
struct OutOfMemory : std::bad_alloc {
  std::size_t bytes;
  std::string where;
  OutOfMemory(std::size_t b, std::string w) : bytes(b), where(std::move(w)) {}
  const char* what() const noexcept override { return "out of memory"; }
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(std::size_t bytes, const char* what) = 0;  // throws OutOfMemory
  virtual void deallocate(void* p) noexcept = 0;
};

// RAII buffer from an Allocator.
class Buffer {
 public:
  Buffer() = default;
  Buffer(Allocator& a, std::size_t bytes, const char* what)
      : alloc_(&a), ptr_(bytes ? a.allocate(bytes, what) : nullptr), bytes_(bytes) {}
  Buffer(Buffer&& o) noexcept : alloc_(o.alloc_), ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr; }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      alloc_ = o.alloc_;
      ptr_ = o.ptr_;
      bytes_ = o.bytes_;
      o.ptr_ = nullptr;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }
  void reset() noexcept {
    if (ptr_) alloc_->deallocate(ptr_);
    ptr_ = nullptr;
  }
  void* get() const { return ptr_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  std::size_t bytes() const { return bytes_; }

 private:
  Allocator* alloc_ = nullptr;
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace fa
