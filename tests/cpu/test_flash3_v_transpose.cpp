// The fp8 V -> V^T transpose of the flash3 forward (kernels/flash3/flash3_v_transpose.cuh), replayed on the
// host: every warp, pass and unit of the device loop, with the lane addresses and byte selectors of
// flash3_v_transpose_plan.hpp, through models of ldmatrix.x4.trans, __byte_perm and stmatrix.x4 written out
// here from the PTX ISA. Shared memory holds byte *origins* (raw key * D + head-dim byte) rather than values,
// so every V^T byte is checked to come from the right raw byte and to be written exactly once. The layouts are
// restated here independently of the kernels: TMA's 128- and 64-byte swizzles, V^T's 128-byte swizzle, and the
// key order P's e4m3 fragments need (derived from acc_to_a_fp8's packing). Also checked: no bank conflicts.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "kernels/flash3/flash3_v_transpose_plan.hpp"

namespace {

using Word = std::array<int, 4>;  // a 32-bit register as the origins of its 4 bytes (byte 0 first)
using Addrs = std::array<std::uint32_t, 32>;

// Raw V byte (key, head-dim byte) in a TMA box with a swz-byte swizzle: regions of swz bytes per row, the
// 16-byte chunks of a row XORed with row % 8 (128) or (row / 2) % 4 (64).
std::uint32_t raw_offset(int key, int byte, int swz, int region_bytes) {
  const int chunk = (byte % swz) / 16, row_bits = swz == 128 ? key % 8 : (key / 2) % 4;
  return static_cast<std::uint32_t>(byte / swz * region_bytes + key * swz + ((chunk ^ row_bits) << 4) + byte % 16);
}

// V^T byte (row = head-dim byte, slot): regions of 128 slots, 128-byte rows, 128-byte swizzle.
std::uint32_t vt_offset(int row, int slot, int region_bytes) {
  const int s = slot % 128;
  return static_cast<std::uint32_t>(slot / 128 * region_bytes + row * 128 + (((s / 16) ^ (row % 8)) << 4) + s % 16);
}

// The key (within 32) behind V^T slot s (within 32), from the e4m3 A fragment acc_to_a_fp8 packs: thread t of a
// quad holds k32 A bytes 4t .. 4t + 3 (register 0) and 16 + 4t .. (register 2); register 0 packs accumulator
// entries {0, 1, 4, 5} of the block, register 2 {8, 9, 12, 13}; accumulator entry e is column 8 (e / 4) + 2t +
// e % 2 (m64nN fp32 layout).
std::array<int, 32> slot_keys_from_fragments() {
  std::array<int, 32> key{};
  const int packed[2][4] = {{0, 1, 4, 5}, {8, 9, 12, 13}};
  for (int t = 0; t < 4; ++t)
    for (int reg = 0; reg < 2; ++reg)
      for (int i = 0; i < 4; ++i) {
        const int e = packed[reg][i];
        key[16 * reg + 4 * t + i] = 8 * (e / 4) + 2 * t + e % 2;
      }
  return key;
}

// __byte_perm(x, y, s): byte i of the result is byte (s >> 4i) & 7 of the 8 bytes {y:x}.
Word byte_perm(const Word& x, const Word& y, std::uint32_t s) {
  Word r{};
  for (int i = 0; i < 4; ++i) {
    const unsigned b = (s >> (4 * i)) & 7u;
    r[i] = b < 4 ? x[b] : y[b - 4];
  }
  return r;
}

// One phase per matrix reads or writes its 8 rows of 16 bytes: conflict-free when the rows fall in 8
// distinct 16-byte bank groups (32 banks x 4 bytes = 8 groups).
void check_conflict_free(const Addrs& a) {
  for (int m = 0; m < 4; ++m) {
    std::set<std::uint32_t> groups;
    for (int r = 0; r < 8; ++r) groups.insert((a[8 * m + r] / 16) % 8);
    CHECK(groups.size() == 8);
  }
  for (std::uint32_t x : a) CHECK(x % 16 == 0);
}

// ldmatrix.x4.trans (16-bit elements): lane 8 m + r addresses row r of matrix m; lane 4 c + t receives of each
// matrix element (row 2t, col c) in its low half and (row 2t + 1, col c) in its high half.
std::array<Word, 4> ldmatrix_x4_trans(const std::vector<int>& smem, const Addrs& a, int lane) {
  std::array<Word, 4> w{};
  const int c = lane / 4, t = lane % 4;
  for (int m = 0; m < 4; ++m)
    for (int h = 0; h < 2; ++h)
      for (int b = 0; b < 2; ++b) w[m][2 * h + b] = smem.at(a[8 * m + 2 * t + h] + 2 * c + b);
  return w;
}

// stmatrix.x4 (not transposed): lane 4 c + t's word m goes to row c of matrix m, bytes 4t .. 4t + 3.
void stmatrix_x4(std::vector<int>& smem, std::vector<int>& writes, const Addrs& a, int lane,
                 const std::array<Word, 4>& w) {
  const int c = lane / 4, t = lane % 4;
  for (int m = 0; m < 4; ++m)
    for (int b = 0; b < 4; ++b) {
      const std::uint32_t at = a[8 * m + c] + 4 * t + b;
      smem.at(at) = w[m][b];
      ++writes.at(at);
    }
}

// Unit u of the tile, its lanes' addresses as the device computes them: a piece's base plus the unit's constant
// (VtPlan::piece_ld / piece_st), checked against the general form (ld_address / st_address).
template <class Plan>
void run_unit(const std::vector<int>& raw, std::vector<int>& vt, std::vector<int>& writes, unsigned g, unsigned j0,
              unsigned jj) {
  const unsigned u = g * Plan::kDChunks + j0 + jj;
  Addrs ld{}, st{};
  for (int l = 0; l < 32; ++l) {
    const std::uint32_t ll = Plan::ld_lane_address(0, l), sl = Plan::st_lane_address(0, l);  // bases 0: aligned
    ld[l] = Plan::piece_ld(Plan::piece_ld_base(ll, g, j0), jj);
    st[l] = Plan::piece_st(Plan::piece_st_base(sl, g, j0), jj);
    CHECK(ld[l] == Plan::ld_address(ll, u));
    CHECK(st[l] == Plan::st_address(sl, u));
  }
  check_conflict_free(ld);
  check_conflict_free(st);
  for (int l = 0; l < 32; ++l) {
    const auto w = ldmatrix_x4_trans(raw, ld, l);
    const std::uint32_t a = Plan::sel_first(l), b = Plan::sel_second(l);
    stmatrix_x4(vt, writes, st, l,
                {byte_perm(w[0], w[1], a), byte_perm(w[0], w[1], b), byte_perm(w[2], w[3], a),
                 byte_perm(w[2], w[3], b)});
  }
}

// The whole tile as the device loop walks it (transpose_v_tile: warp w takes pieces w, w + warps, ... of
// piece_chunks units; `unroll` units in flight must divide a piece), then every V^T byte against its raw origin.
template <int D, int BN>
void check_tile(int warps, int unroll) {
  constexpr int swz = D % 128 == 0 ? 128 : 64, kv_region = BN * swz, vt_region = D * 128;
  using Plan = fa::flash3::VtPlan<D, BN, swz, kv_region, vt_region>;
  INFO("D " << D << ", BN " << BN << ", warps " << warps << ", units in flight " << unroll);
  std::vector<int> raw(static_cast<std::size_t>(D / swz * kv_region), -1);
  for (int key = 0; key < BN; ++key)
    for (int d = 0; d < D; ++d) raw.at(raw_offset(key, d, swz, kv_region)) = key * D + d;
  std::vector<int> vt(static_cast<std::size_t>((BN + 127) / 128 * vt_region), -1), writes(vt.size(), 0);
  std::vector<int> unit_visits(Plan::kUnits, 0);
  const int piece = Plan::piece_chunks(warps), per_group = Plan::kDChunks / piece;
  REQUIRE(piece % unroll == 0);
  REQUIRE(Plan::kDChunks % piece == 0);
  for (int warp = 0; warp < warps; ++warp)
    for (int pc = warp; pc < Plan::kUnits / piece; pc += warps)
      for (int jj = 0; jj < piece; ++jj) {
        const unsigned g = pc / per_group, j0 = pc % per_group * piece;
        ++unit_visits.at(g * Plan::kDChunks + j0 + jj);
        run_unit<Plan>(raw, vt, writes, g, j0, jj);
      }
  for (int v : unit_visits) CHECK(v == 1);
  const auto slot_key = slot_keys_from_fragments();
  int wrong = 0, not_once = 0;
  for (int d = 0; d < D; ++d)
    for (int slot = 0; slot < BN; ++slot) {
      const std::uint32_t at = vt_offset(d, slot, vt_region);
      const int key = 32 * (slot / 32) + slot_key[slot % 32];
      wrong += vt.at(at) != key * D + d;
      not_once += writes.at(at) != 1;
    }
  CHECK(wrong == 0);
  CHECK(not_once == 0);
}

}  // namespace

TEST_CASE("flash3 fp8 V^T: the key order of the slots is the one P's e4m3 fragments use", "[flash3][fp8]") {
  const auto key = slot_keys_from_fragments();
  for (int s = 0; s < 32; ++s) CHECK(fa::flash3::fp8_key_of_slot(s) == key[s]);
  CHECK(std::set<int>(key.begin(), key.end()).size() == 32);  // a permutation of 0 .. 31
}

TEST_CASE("flash3 fp8 V^T: the lane plan transposes every byte once, conflict-free", "[flash3][fp8]") {
  using Plan = fa::flash3::VtPlan<64, 128, 64, 64 * 128, 64 * 128>;
  CHECK(Plan::units_in_flight(32) == 1);  // the producer's registers with three consumer warpgroups
  CHECK(Plan::units_in_flight(40) == 2);  // with two
  // Piece sizes for the three transposer warps: D 64 two chunks (8 pieces: 3, 3, 2 per warp, where whole groups
  // would give one warp 2 of 4), D 128 at BN 192 a whole group (6 pieces, 2 per warp), D 256 half a group.
  CHECK(Plan::piece_chunks(3) == 2);
  CHECK((fa::flash3::VtPlan<128, 192, 128, 192 * 128, 128 * 128>::piece_chunks(3) == 8));
  CHECK((fa::flash3::VtPlan<256, 128, 128, 128 * 128, 256 * 128>::piece_chunks(3) == 8));
  for (int warps : {3, 1, 2, 4})  // 3: the producer warpgroup's transposers
    for (int unroll : {1, 2}) {
      check_tile<64, 128>(warps, unroll);
      check_tile<128, 128>(warps, unroll);
      check_tile<256, 128>(warps, unroll);
      check_tile<128, 256>(warps, unroll);  // two V^T regions
      check_tile<128, 192>(warps, unroll);  // the second region half used (fp8 D 128)
    }
}
