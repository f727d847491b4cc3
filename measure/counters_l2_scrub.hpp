#pragma once
// Read-only L2 scrub for counter ranges (CUDA builds only). Reading a buffer of twice the L2 size
// evicts every line, so dirty lines are written back to DRAM during the scrub and L2 is left holding
// only clean lines of that buffer. Before a counter range: the range starts cold and inherits no
// earlier write-backs. After the work, in a range of its own: the work's writes still sitting dirty in
// L2 (about 20 MB on an H100 after a large copy) reach DRAM where the counters can see them; the scrub
// itself writes nothing.
namespace fa {

// Enqueues the scrub on `stream` (cudaStream_t) for `device`; uses l2_flush_buffer() (sampler.hpp).
void scrub_l2(int device, void* stream);

}  // namespace fa
