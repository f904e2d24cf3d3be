#pragma once

namespace recrl::app {

// The GFLOP/s this core reaches right now with the build's SIMD multiply-adds on float (2
// flops per lane), from a loop of independent multiply-adds on registers: the ceiling for
// the updates' matrix products. A shared machine's speed drifts by tens of percent; measured
// next to a benchmark, it says how fast the core's arithmetic was at the time (not whether a
// neighbour was competing for the caches). Takes ~0.05 s.
double multiply_add_peak_gflops();

}  // namespace recrl::app
