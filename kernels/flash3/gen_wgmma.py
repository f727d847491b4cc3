#!/usr/bin/env python3
"""Writes wgmma_ops.cuh: inline-PTX wrappers for the Hopper warpgroup MMA shapes the flash3 kernels use.

16-bit operands (f16, bf16) step k by 16; e4m3 (fp8) steps k by 32, takes no transpose flags (both operands
K-major) and shares the dispatchers: T = __nv_fp8_e4m3 picks it.

Each wgmma.mma_async m64nNk16 instruction names every accumulator register (N/2 floats per thread), so the
wrappers are long and regular: generated here rather than written by hand. Run from this folder after changing
SHAPES:  python3 gen_wgmma.py > wgmma_ops.cuh
"""

# (N, A from registers?) pairs the kernels instantiate (ss n32: the backward's dQ = dS K, half of D = 64 per
# consumer warpgroup; rs n8: the forward's row sums, P times a tile of ones). A from shared memory: "ss"; from
# registers: "rs".
SHAPES = [(n, "ss") for n in (32, 64, 96, 128, 176, 192, 256)] + [(n, "rs") for n in (8, 64, 96, 128, 176, 192, 256)]
TYPES = {"f16": "__half", "bf16": "__nv_bfloat16", "e4m3": "__nv_fp8_e4m3"}
# (N, type) of the "fresh" ss form: the accumulators are written, not read ("=f", scale-d false), so the compiler
# knows their old values are dead once the wgmma is issued. The "+f" of the scale_d form keeps them live up to it,
# which at fp8 D = 128 costs the registers the forward's mid-turn P V GEMM needs (Fwd3Traits::kMidTurn).
FRESH = [(128, "e4m3")]


def k_of(ptx_type):
    return 32 if ptx_type == "e4m3" else 16


def wrapper(n, form, ptx_type):
    regs = n // 2
    acc = ", ".join(f"%{i}" for i in range(regs))
    if form == "ss":
        a_ops, nxt = f"%{regs}", regs + 1
        ins = ['"l"(desc_a)']
        sig_a = "std::uint64_t desc_a"
    else:
        a_ops, nxt = "{" + ", ".join(f"%{regs + i}" for i in range(4)) + "}", regs + 4
        ins = [f'"r"(a[{i}])' for i in range(4)]
        sig_a = "const std::uint32_t (&a)[4]"
    b_op = f"%{nxt}"
    scale_op = f"%{nxt + 1}"
    ins += ['"l"(desc_b)', '"r"(scale_d)']
    if ptx_type == "e4m3":
        flags = "p, 1, 1"
        tmpl = ""
    elif form == "ss":
        ins += ['"n"(TransA)', '"n"(TransB)']
        flags = f"p, 1, 1, %{nxt + 2}, %{nxt + 3}"
        tmpl = "template <int TransA, int TransB>\n"
    else:
        ins += ['"n"(TransB)']
        flags = f"p, 1, 1, %{nxt + 2}"
        tmpl = "template <int TransB>\n"
    outs = ", ".join(f'"+f"(d[{i}])' for i in range(regs))
    k = k_of(ptx_type)
    name = f"wgmma_{form}_m64n{n}k{k}_{ptx_type}"
    return f"""{tmpl}__device__ __forceinline__ void {name}(float (&d)[{regs}], {sig_a}, std::uint64_t desc_b, int scale_d) {{
  asm volatile(
      "{{\\n.reg .pred p;\\nsetp.ne.b32 p, {scale_op}, 0;\\n"
      "wgmma.mma_async.sync.aligned.m64n{n}k{k}.f32.{ptx_type}.{ptx_type} "
      "{{{acc}}}, {a_ops}, {b_op}, {flags};\\n}}\\n"
      : {outs}
      : {", ".join(ins)});
}}
"""


def fresh_wrapper(n, ptx_type):
    regs = n // 2
    acc = ", ".join(f"%{i}" for i in range(regs))
    outs = ", ".join(f'"=f"(d[{i}])' for i in range(regs))
    k = k_of(ptx_type)
    return f"""__device__ __forceinline__ void wgmma_ss_fresh_m64n{n}k{k}_{ptx_type}(float (&d)[{regs}], std::uint64_t desc_a, std::uint64_t desc_b) {{
  asm volatile(
      "{{\\n.reg .pred p;\\nsetp.ne.b32 p, 0, 0;\\n"
      "wgmma.mma_async.sync.aligned.m64n{n}k{k}.f32.{ptx_type}.{ptx_type} "
      "{{{acc}}}, %{regs}, %{regs + 1}, p, 1, 1;\\n}}\\n"
      : {outs}
      : "l"(desc_a), "l"(desc_b));
}}
"""


def fresh_dispatcher():
    body = ("template <int N, class T>\n"
            "__device__ __forceinline__ void wgmma_ss_fresh(float (&d)[N / 2], std::uint64_t desc_a, std::uint64_t desc_b) {\n")
    for i, (n, t) in enumerate(FRESH):
        kw = "if constexpr" if i == 0 else "} else if constexpr"
        body += f"  {kw} (N == {n} && std::is_same_v<T, {TYPES[t]}>) {{\n"
        body += f"    wgmma_ss_fresh_m64n{n}k{k_of(t)}_{t}(d, desc_a, desc_b);\n"
    body += "  } else {\n    static_assert(N == 0, \"fresh wgmma shape not generated: add it to gen_wgmma.py\");\n  }\n}\n"
    return body


def dispatcher(form):
    if form == "ss":
        head = "template <int N, class T, int TransA = 0, int TransB = 0>\n" \
               "__device__ __forceinline__ void wgmma_ss(float (&d)[N / 2], std::uint64_t desc_a, std::uint64_t desc_b, int scale_d) {\n"
        call = "(d, desc_a, desc_b, scale_d)"
        targs = "<TransA, TransB>"
    else:
        head = "template <int N, class T, int TransB = 1>\n" \
               "__device__ __forceinline__ void wgmma_rs(float (&d)[N / 2], const std::uint32_t (&a)[4], std::uint64_t desc_b, int scale_d) {\n"
        call = "(d, a, desc_b, scale_d)"
        targs = "<TransB>"
    ns = sorted({n for n, f in SHAPES if f == form})
    body = ""
    for i, n in enumerate(ns):
        kw = "if constexpr" if i == 0 else "} else if constexpr"
        body += f"  {kw} (N == {n}) {{\n"
        body += f"    if constexpr (std::is_same_v<T, __nv_fp8_e4m3>) wgmma_{form}_m64n{n}k32_e4m3{call};\n"
        body += f"    else if constexpr (std::is_same_v<T, __nv_bfloat16>) wgmma_{form}_m64n{n}k16_bf16{targs}{call};\n"
        body += f"    else wgmma_{form}_m64n{n}k16_f16{targs}{call};\n"
    body += "  } else {\n    static_assert(N == 0, \"wgmma shape not generated: add it to gen_wgmma.py\");\n  }\n}\n"
    return head + body


def main():
    print("#pragma once")
    print("// GENERATED by gen_wgmma.py (do not edit by hand): wgmma.mma_async m64nNk16 (fp16/bf16) and m64nNk32")
    print("// (e4m3) wrappers, fp32 accumulators. ss = A and B from shared-memory descriptors; rs = A from registers")
    print("// (4 x .b32 per thread), B from a descriptor. scale_d = 0 overwrites the accumulators, 1 adds to them;")
    print("// ss_fresh overwrites them and tells the compiler so (their old values are not inputs).")
    print("// Trans = 1 marks an operand stored MN-major (only legal for 16-bit types; e4m3 ignores it: K-major only).")
    print("#include <cstdint>\n#include <type_traits>\n\n#include <cuda_bf16.h>\n#include <cuda_fp16.h>\n#include <cuda_fp8.h>\n")
    print("namespace fa::flash3::wgmma {\n")
    for n, form in SHAPES:
        for t in TYPES:
            print(wrapper(n, form, t))
    for n, t in FRESH:
        print(fresh_wrapper(n, t))
    print(dispatcher("ss"))
    print(dispatcher("rs"))
    print(fresh_dispatcher())
    print("}  // namespace fa::flash3::wgmma")


if __name__ == "__main__":
    main()
