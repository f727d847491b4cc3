// Catch2 2.x entry point for the GPU test binary (tests tagged [gpu]; see gpu_support.hpp).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
