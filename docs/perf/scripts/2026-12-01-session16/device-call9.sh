#!/usr/bin/env bash
# Device call 9 (session 16): fp8 D 128 with 192 keys per block (V^T: one 128-key region and half of another)
# against 128 (base, 5867da0): call 8's runs (timing of fp8 D 64/128/256 in three interleaved rounds, cuDNN once;
# verify fp8; GPU tests [fp8],[flash3]) with the sanitizers on fp8 D 128 points.
exec bash "$(dirname "$0")/device-call8.sh" 128
