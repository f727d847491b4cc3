#pragma once
// The SM clock as the GPU is actually running it, measured the way nvbench does: a one-thread
// kernel counts clock64() cycles against %globaltimer nanoseconds over a short spin. Needs no NVML
// (whose library is absent on machines without the driver) and never changes any clock.
namespace fa {

// MHz, or 0 when there is no CUDA. `stream` is a cudaStream_t; synchronises it.
double measure_sm_clock_mhz(void* stream);

// Keeps every SM busy for about `seconds` so an idle GPU has ramped its clocks before the first
// point of a sweep is timed (an idle H100 sits at ~400 MHz). Changes no setting.
void spin_gpu(double seconds, void* stream);

}  // namespace fa
