// fa-bench: benchmark and profile attention kernels. Everything lives in cli/app.cpp so tests can
// run the command line in-process.
#include "cli/app.hpp"

int main(int argc, char** argv) { return fa::cli::run_cli(argc, argv); }
