#pragma once
// A dedicated CUDA stream (RAII) for one point; null on host-only paths.
namespace fa {

class StreamHandle {
 public:
  explicit StreamHandle(bool cuda);
  ~StreamHandle();
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;
  void* get() const { return stream_; }
  void synchronize() const;

 private:
  void* stream_ = nullptr;
};

}  // namespace fa
