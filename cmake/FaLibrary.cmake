# fa_glob_library(NAME <target> [CUDA] DEPS <targets...>)
# A static library made of every .cpp (and with CUDA, .cu) file in the calling directory, so that
# adding a file never needs a CMake edit. Sources are re-globbed at build time (CONFIGURE_DEPENDS).
function(fa_glob_library)
  cmake_parse_arguments(ARG "CUDA" "NAME" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(ARG_CUDA AND FA_HAS_CUDA)
    file(GLOB cu_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cu)
    list(APPEND srcs ${cu_srcs})
  endif()
  add_library(${ARG_NAME} STATIC ${srcs})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE fa_warnings)
  set_target_properties(${ARG_NAME} PROPERTIES LINKER_LANGUAGE CXX POSITION_INDEPENDENT_CODE ON)
endfunction()
