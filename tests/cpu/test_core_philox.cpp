// Philox4x32-10 against the known-answer vectors published with Random123 (kat_vectors), the 7-round
// generator of the dropout mask against the round written out here, and the definition of the dropout
// keep-mask built on it (core/philox.hpp): counter and byte layout, the
// 8-bit threshold, and the packed (SWAR) keep tests the kernels use.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <set>

#include "core/philox.hpp"

using fa::Philox4;

namespace {
void check_kat(Philox4 ctr, std::uint32_t k0, std::uint32_t k1, Philox4 want) {
  const Philox4 got = fa::philox4x32_10(ctr, k0, k1);
  INFO(std::hex << "got " << got.x << " " << got.y << " " << got.z << " " << got.w);
  CHECK(got.x == want.x);
  CHECK(got.y == want.y);
  CHECK(got.z == want.z);
  CHECK(got.w == want.w);
}

// Small deterministic generator for test inputs (not the thing under test).
std::uint32_t next_word(std::uint64_t& s) {
  s = s * 6364136223846793005ULL + 1442695040888963407ULL;
  return static_cast<std::uint32_t>(s >> 32);
}

// The definition written out literally, independently of the helpers in core/philox.hpp.
bool keep_by_definition(std::uint64_t seed, std::uint32_t t8, std::uint32_t b, std::uint32_t h, std::uint32_t row,
                        std::uint32_t col) {
  const Philox4 ctr{(row >> 4) * 8 + (row & 7), (col >> 5) * 4 + ((col >> 1) & 3), h, b};
  const Philox4 r = fa::philox4x32<7>(ctr, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
  const unsigned byte = ((row >> 3) & 1) * 8 + ((col >> 3) & 3) * 2 + (col & 1);
  const std::uint32_t words[4] = {r.x, r.y, r.z, r.w};
  return ((words[byte / 4] >> (8 * (byte % 4))) & 0xFF) >= t8;
}
}  // namespace

TEST_CASE("philox4x32-10 known-answer vectors", "[core]") {
  check_kat({0, 0, 0, 0}, 0, 0, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  check_kat({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, 0xffffffffu, 0xffffffffu,
            {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  check_kat({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, 0xa4093822u, 0x299f31d0u,
            {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

// One Philox4x32 round as the paper states it (S-boxes on words 0 and 2, then the bijection and the keys),
// written independently of core/philox.hpp; the 10-round vectors above pin down the same round.
static Philox4 paper_round(Philox4 c, std::uint32_t k0, std::uint32_t k1) {
  const std::uint64_t p0 = 0xD2511F53ULL * c.x, p1 = 0xCD9E8D57ULL * c.z;
  return {static_cast<std::uint32_t>(p1 >> 32) ^ c.y ^ k0, static_cast<std::uint32_t>(p1),
          static_cast<std::uint32_t>(p0 >> 32) ^ c.w ^ k1, static_cast<std::uint32_t>(p0)};
}

TEST_CASE("philox4x32 with 7 rounds (the dropout mask's) is seven paper rounds with Weyl key steps", "[core]") {
  std::uint64_t s = 77;
  for (int i = 0; i < 200; ++i) {
    const Philox4 ctr{next_word(s), next_word(s), next_word(s), next_word(s)};
    std::uint32_t k0 = next_word(s), k1 = next_word(s);
    const Philox4 got = fa::philox4x32<7>(ctr, k0, k1);
    Philox4 want = ctr;
    for (int r = 0; r < 7; ++r, k0 += 0x9E3779B9u, k1 += 0xBB67AE85u) want = paper_round(want, k0, k1);
    REQUIRE(got.x == want.x);
    REQUIRE(got.y == want.y);
    REQUIRE(got.z == want.z);
    REQUIRE(got.w == want.w);
  }
  CHECK(fa::kDropoutPhiloxRounds == 7);
}

TEST_CASE("dropout keep-mask: dropout_keep follows the written definition", "[core]") {
  const std::uint64_t seed = 0x0123456789abcdefULL;
  for (std::uint32_t t8 : {0u, 1u, 44u, 128u, 255u}) {
    for (std::uint32_t row = 0; row < 40; ++row) {
      for (std::uint32_t col = 0; col < 80; ++col) {
        INFO("t8 " << t8 << " row " << row << " col " << col);
        REQUIRE(fa::dropout_keep(seed, t8, 3, 5, row, col) == keep_by_definition(seed, t8, 3, 5, row, col));
      }
    }
  }
  // Far indices: counter words stay exact (no overflow below 2^32 / 8 columns).
  for (std::uint32_t row : {65535u, 1000003u}) {
    for (std::uint32_t col : {131071u, 4000037u}) {
      CHECK(fa::dropout_keep(seed, 77, 65535, 70000, row, col) == keep_by_definition(seed, 77, 65535, 70000, row, col));
    }
  }
}

TEST_CASE("dropout keep-mask: DropoutRow (first rounds computed once per row) gives dropout_random", "[core]") {
  std::uint64_t s = 0x5eed;
  for (int n = 0; n < 2000; ++n) {
    const std::uint64_t seed = static_cast<std::uint64_t>(next_word(s)) << 32 | next_word(s);
    const std::uint32_t b = next_word(s) % 70000, h = next_word(s), row = next_word(s), col = next_word(s);
    const Philox4 want = fa::dropout_random(seed, b, h, row, col);
    const Philox4 got = fa::DropoutRow(seed, b, h, row).random(col);
    INFO("seed " << seed << " b " << b << " h " << h << " row " << row << " col " << col);
    REQUIRE(got.x == want.x);
    REQUIRE(got.y == want.y);
    REQUIRE(got.z == want.z);
    REQUIRE(got.w == want.w);
  }
}

TEST_CASE("dropout keep-mask: one call serves a thread's 16 mma accumulator elements", "[core]") {
  // Thread (g, t) of an m16 x n32 accumulator block holds rows r = 16R + g, r + 8 and columns
  // 32G + 8q + 2t + e (q = 0..3, e = 0, 1). All 16 use the call {8R + g, 4G + t, h, b}, each its
  // own byte hf * 8 + q * 2 + e: word x = row r, q 0-1; y = row r, q 2-3; z, w = row r + 8.
  for (std::uint32_t R : {0u, 3u}) {
    for (std::uint32_t G : {0u, 5u}) {
      for (std::uint32_t g = 0; g < 8; ++g) {
        for (std::uint32_t t = 0; t < 4; ++t) {
          std::set<unsigned> bytes;
          for (std::uint32_t hf = 0; hf < 2; ++hf) {
            for (std::uint32_t q = 0; q < 4; ++q) {
              for (std::uint32_t e = 0; e < 2; ++e) {
                const std::uint32_t row = 16 * R + g + 8 * hf, col = 32 * G + 8 * q + 2 * t + e;
                CHECK(fa::dropout_counter_row(row) == 8 * R + g);
                CHECK(fa::dropout_counter_col(col) == 4 * G + t);
                const unsigned byte = fa::dropout_byte(row, col);
                CHECK(byte == hf * 8 + q * 2 + e);
                CHECK(byte / 4 == hf * 2 + q / 2);  // the word: x, y for row r; z, w for row r + 8
                bytes.insert(byte);
              }
            }
          }
          CHECK(bytes.size() == 16);
        }
      }
    }
  }
}

TEST_CASE("dropout keep-mask: byte numbering within the words", "[core]") {
  const Philox4 r{0x03020100u, 0x07060504u, 0x0b0a0908u, 0x0f0e0d0cu};
  for (unsigned k = 0; k < 16; ++k) CHECK(fa::philox_byte(r, k) == k);
}

TEST_CASE("dropout threshold: p rounded to a multiple of 1/256 and clamped", "[core]") {
  CHECK(fa::dropout_threshold8(0.0) == 0u);  // p = 0 keeps everything
  CHECK(fa::dropout_threshold8(0.5) == 128u);
  CHECK(fa::dropout_threshold8(0.1) == 26u);    // 25.6
  CHECK(fa::dropout_threshold8(0.17) == 44u);   // 43.52
  CHECK(fa::dropout_threshold8(0.2) == 51u);    // 51.2
  CHECK(fa::dropout_threshold8(1.0 / 512) == 1u);                    // 0.5 rounds up
  CHECK(fa::dropout_threshold8(std::nextafter(1.0 / 512, 0.0)) == 0u);  // just below: 0
  CHECK(fa::dropout_threshold8(0.998) == 255u);  // 255.488
  CHECK(fa::dropout_threshold8(0.999) == 255u);  // 255.744 would round to 256: clamped
  CHECK(fa::dropout_threshold8(1.0) == 255u);
  CHECK(fa::dropout_threshold8(-0.25) == 0u);
  CHECK(fa::dropout_threshold8(std::numeric_limits<double>::quiet_NaN()) == 0u);
  CHECK(fa::dropout_p_used(0.1) == 26.0 / 256);
  CHECK(fa::dropout_p_used(0.5) == 0.5);
  CHECK(fa::dropout_p_used(0.999) == 255.0 / 256);
  CHECK(fa::dropout_p_used(0.001) == 0.0);  // rounds to no dropout at all
  for (int k = 0; k < 256; ++k) CHECK(fa::dropout_threshold8(k / 256.0) == static_cast<std::uint32_t>(k));
}

TEST_CASE("dropout keep-mask: threshold 0 keeps every element", "[core]") {
  for (std::uint32_t row = 0; row < 32; ++row)
    for (std::uint32_t col = 0; col < 64; ++col) CHECK(fa::dropout_keep(1, 0, 0, 0, row, col));
  CHECK(fa::dropout_keep_mask16(Philox4{0, 0, 0, 0}, 0) == 0xFFFFu);
}

TEST_CASE("dropout keep-mask: packed byte compare equals byte-by-byte compare", "[core]") {
  // Every byte value against every threshold, in every byte position, next to random neighbours.
  std::uint64_t s = 12345;
  for (std::uint32_t t8 = 0; t8 < 256; ++t8) {
    const std::uint32_t t8x4 = t8 * 0x01010101u;
    for (std::uint32_t v = 0; v < 256; ++v) {
      for (unsigned k = 0; k < 4; ++k) {
        const std::uint32_t other = next_word(s) & ~(0xFFu << (8 * k));
        const std::uint32_t x = other | v << (8 * k);
        const std::uint32_t flags = fa::dropout_keep_msb(x, t8x4);
        for (unsigned kk = 0; kk < 4; ++kk) {
          const bool want = ((x >> (8 * kk)) & 0xFF) >= t8;
          if (((flags >> (8 * kk + 7)) & 1u) != static_cast<std::uint32_t>(want)) {
            FAIL("x " << std::hex << x << " t8 " << std::dec << t8 << " byte " << kk);
          }
        }
      }
    }
  }
  // The nibble gather and the 16-bit mask: bit k = byte k kept.
  for (std::uint32_t f = 0; f < 16; ++f) {
    const std::uint32_t flags = (f & 1) << 7 | (f & 2) << 14 | (f & 4) << 21 | (f & 8) << 28 | 0x7f7f7f7fu;
    CHECK(fa::dropout_msb_nibble(flags) == f);
  }
  for (int i = 0; i < 2000; ++i) {
    const Philox4 r{next_word(s), next_word(s), next_word(s), next_word(s)};
    const std::uint32_t t8 = next_word(s) & 0xFF;
    const std::uint32_t m = fa::dropout_keep_mask16(r, t8);
    CHECK(m >> 16 == 0u);
    for (unsigned k = 0; k < 16; ++k) {
      if (((m >> k) & 1u) != static_cast<std::uint32_t>(fa::philox_byte(r, k) >= t8)) FAIL("mask16 byte " << k);
    }
  }
}

TEST_CASE("philox_threshold32 (random block masks): edges", "[core]") {
  CHECK(fa::philox_threshold32(0.0) == 0u);
  CHECK(fa::philox_threshold32(0.5) == 0x80000000u);
  CHECK(fa::philox_threshold32(1.0) == 0xFFFFFFFFu);
}
