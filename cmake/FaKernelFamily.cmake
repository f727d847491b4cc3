# Kernel families: one folder each under kernels/, registered by one entry in FA_KERNEL_FAMILIES
# (kernels/CMakeLists.txt). kernels/family.hpp says what a family's folder supplies.
#
# fa_kernel_family_wanted(<out-var>)
#   For a family's CMakeLists.txt, before it looks for its dependencies: TRUE when this build
#   compiles CUDA families and FA_BENCH_FAMILIES selects this one (nothing to look for otherwise).
#
# fa_kernel_family(FACE <files...> [HOST] [MISSING <why>] [CUDA_ARCHITECTURES <archs...>])
#   Declares the family of the calling folder (its name is the folder's name).
#   FACE     the host C++ files of its face (<name>_family.cpp and what that needs): built in every
#            configuration, so the program knows the family even where its kernels are not built.
#   HOST     the family needs no CUDA (the CPU reference): always built.
#   MISSING  why a dependency is missing (empty: none is): the family is not built, and this text is
#            what `fa-bench list` shows.
#   CUDA_ARCHITECTURES  the family's sources compile for these architectures only (e.g. 90a for
#            wgmma/TMA kernels), whatever else CMAKE_CUDA_ARCHITECTURES holds; not built when
#            CMAKE_CUDA_ARCHITECTURES lacks one of them. Which GPU it then runs on is the family's
#            FamilyBuild::usable_on (kernels/cuda_arch.hpp helps).
#   Every other .cpp (and .cu) file of the folder is built when the family is. Sets FA_FAMILY_BUILT
#   in the caller's scope (TRUE or FALSE) for what the family still has to add (libraries, flags: to
#   fa_kernels, or with CUDA_ARCHITECTURES to the family's own object library fa_family_<name>).
#   When built, the generated kernels/families_built.hpp defines FA_FAMILY_<NAME> 1 (GPU tests guard on
#   it); a header rather than a compile definition, so that registering a family recompiles only what
#   includes it.

function(fa_kernel_family_wanted out)
  get_filename_component(family ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  fa_kernel_family_selected(${family} selected)
  if(FA_HAS_CUDA AND selected)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# Whether FA_BENCH_FAMILIES ("all" or a list) names <family>.
function(fa_kernel_family_selected family out)
  if(FA_BENCH_FAMILIES STREQUAL "all" OR family IN_LIST FA_BENCH_FAMILIES)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# Whether an earlier family of FA_KERNEL_FAMILIES was built (ring needs flash).
function(fa_kernel_family_is_built family out)
  get_property(built GLOBAL PROPERTY FA_KERNEL_FAMILIES_BUILT)
  if(family IN_LIST built)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

function(fa_kernel_family)
  cmake_parse_arguments(ARG "HOST" "MISSING" "FACE;CUDA_ARCHITECTURES" ${ARGN})
  get_filename_component(family ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  if(NOT ARG_FACE)
    message(FATAL_ERROR "kernels/${family}: fa_kernel_family needs FACE <${family}_family.cpp ...>")
  endif()
  if(ARG_HOST AND ARG_CUDA_ARCHITECTURES)
    message(FATAL_ERROR "kernels/${family}: CUDA_ARCHITECTURES is for CUDA families (not HOST)")
  endif()
  list(TRANSFORM ARG_FACE PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  target_sources(fa_kernels PRIVATE ${ARG_FACE})

  # Why not built, in the order a user fixes things; "unavailable" is a choice of this build,
  # "planned" a dependency to install.
  fa_kernel_family_selected(${family} selected)
  set(state available)
  set(why "")
  if(NOT ARG_HOST AND NOT FA_HAS_CUDA)
    set(state unavailable)
    set(why "this build has no CUDA (FA_BENCH_CUDA=OFF or no nvcc)")
  elseif(NOT ARG_HOST AND NOT selected)
    set(state unavailable)
    set(why "not in FA_BENCH_FAMILIES (${FA_BENCH_FAMILIES})")
  endif()
  foreach(arch IN LISTS ARG_CUDA_ARCHITECTURES)
    if(state STREQUAL "available" AND NOT arch IN_LIST CMAKE_CUDA_ARCHITECTURES)
      set(state unavailable)
      set(why "built for CUDA architectures ${ARG_CUDA_ARCHITECTURES}; CMAKE_CUDA_ARCHITECTURES is ${CMAKE_CUDA_ARCHITECTURES}")
      message(STATUS "fa-bench: ${family} family not built: ${why}")
    endif()
  endforeach()
  if(state STREQUAL "available" AND ARG_MISSING)
    set(state planned)
    set(why "${ARG_MISSING}")
    message(STATUS "fa-bench: ${family} family not built: ${why}")
  endif()
  set_property(GLOBAL PROPERTY FA_FAMILY_${family}_STATE ${state})
  set_property(GLOBAL PROPERTY FA_FAMILY_${family}_REASON "${why}")
  if(NOT state STREQUAL "available")
    set(FA_FAMILY_BUILT FALSE PARENT_SCOPE)
    return()
  endif()

  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(FA_HAS_CUDA)
    file(GLOB cu_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cu)
    list(APPEND srcs ${cu_srcs})
  endif()
  list(REMOVE_ITEM srcs ${ARG_FACE})
  if(ARG_CUDA_ARCHITECTURES)
    # Architectures are a target's, not a source's: the family's objects get a target of their own,
    # archived into fa_kernels.
    add_library(fa_family_${family} OBJECT ${srcs})
    set_target_properties(fa_family_${family} PROPERTIES CUDA_ARCHITECTURES "${ARG_CUDA_ARCHITECTURES}"
                          POSITION_INDEPENDENT_CODE ON)
    target_link_libraries(fa_family_${family} PUBLIC fa_core fa_reference PRIVATE fa_warnings)
    target_link_libraries(fa_kernels PRIVATE fa_family_${family})
  else()
    target_sources(fa_kernels PRIVATE ${srcs})
  endif()
  set_property(GLOBAL APPEND PROPERTY FA_KERNEL_FAMILIES_BUILT ${family})
  set(FA_FAMILY_BUILT TRUE PARENT_SCOPE)
endfunction()

# Writes the registration of `families` (in catalogue order) to <dir>/family_list.cpp: a C++ file that
# calls each family's <name>_family(), and <name>_build() for those built (kernels/registry.hpp); and
# <dir>/include/kernels/families_built.hpp. Files are rewritten only when their text changes.
function(fa_write_family_registration dir)
  set(decls "")
  set(rows "")
  set(defines "")
  foreach(family IN LISTS ARGN)
    get_property(state GLOBAL PROPERTY FA_FAMILY_${family}_STATE)
    get_property(why GLOBAL PROPERTY FA_FAMILY_${family}_REASON)
    if(NOT state)
      message(FATAL_ERROR "FA_KERNEL_FAMILIES names '${family}', but kernels/${family}/CMakeLists.txt did not "
                          "call fa_kernel_family()")
    endif()
    string(APPEND decls "KernelFamily ${family}_family();\n")
    if(state STREQUAL "available")
      string(APPEND decls "FamilyBuild ${family}_build();\n")
      string(APPEND rows "      built_family(\"${family}\", ${family}_family(), ${family}_build()),\n")
      string(TOUPPER ${family} upper)
      string(APPEND defines "#define FA_FAMILY_${upper} 1\n")
    else()
      string(REPLACE "\\" "\\\\" why "${why}")
      string(REPLACE "\"" "\\\"" why "${why}")
      string(APPEND rows "      unbuilt_family(\"${family}\", ${family}_family(), KernelState::${state}, \"${why}\"),\n")
    endif()
  endforeach()
  file(CONFIGURE OUTPUT ${dir}/include/kernels/families_built.hpp @ONLY CONTENT
"#pragma once
// Generated by kernels/CMakeLists.txt (cmake/FaKernelFamily.cmake): the kernel families this build
// has, for code that may name only those (the GPU tests). Do not edit.
@defines@")
  file(CONFIGURE OUTPUT ${dir}/family_list.cpp @ONLY CONTENT
"// Generated by kernels/CMakeLists.txt from FA_KERNEL_FAMILIES (cmake/FaKernelFamily.cmake): do not edit.
#include \"kernels/registry.hpp\"

namespace fa {

@decls@
std::vector<KernelEntry> registered_families() {
  return {
@rows@  };
}

}  // namespace fa
")
endfunction()
