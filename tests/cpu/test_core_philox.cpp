// Philox4x32-10 against the known-answer vectors published with Random123 (kat_vectors), and the
// counter layout of the dropout keep-mask.
#include <catch2/catch.hpp>

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
}  // namespace

TEST_CASE("philox4x32-10 known-answer vectors", "[core]") {
  check_kat({0, 0, 0, 0}, 0, 0, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  check_kat({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, 0xffffffffu, 0xffffffffu,
            {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  check_kat({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, 0xa4093822u, 0x299f31d0u,
            {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("dropout words: counter {col/4, row, h, b}, key = seed halves", "[core]") {
  const std::uint64_t seed = 0x0123456789abcdefULL;
  const Philox4 direct = fa::philox4x32_10({3, 17, 2, 1}, 0x89abcdefu, 0x01234567u);
  const Philox4 via = fa::dropout_words(seed, 1, 2, 17, 3);
  CHECK(via.x == direct.x);
  CHECK(via.y == direct.y);
  CHECK(via.z == direct.z);
  CHECK(via.w == direct.w);
  // Column 12 + w uses word w of the call for col4 = 3.
  const std::uint32_t thr = 0x80000000u;
  for (unsigned w = 0; w < 4; ++w) {
    CHECK(fa::dropout_keep(seed, thr, 1, 2, 17, 12 + w) == (fa::philox_word(direct, w) >= thr));
  }
}
