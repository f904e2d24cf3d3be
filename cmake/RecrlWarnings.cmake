# recrl_set_warnings(target): the project's warning flags, PRIVATE so they never reach consumers.
function(recrl_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  # GCC 12 reports -Wrestrict on `"literal" + std::string` inside libstdc++ at -O2 (GCC bug
  # 105651, a false positive fixed in GCC 13); it says nothing about our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
    # With -march=native on an AVX-512 machine, GCC 12 reports -Wmaybe-uninitialized inside
    # avx512fintrin.h, on the _mm512_undefined_*() placeholder that masked intrinsics such as
    # _mm512_rsqrt14_pd (Eigen's vectorised 1/sqrt) pass as their unused source operand. Also a
    # compiler false positive, gone in GCC 13.
    if(RECRL_NATIVE)
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
  endif()
  # GCC's flow warnings see the sanitizers' instrumentation, not our code: with -fsanitize=address
  # GCC 12 reports the avx512 placeholder above as -Wuninitialized and std::ofstream's move
  # assignment as -Wstringop-overflow (its manual warns of such false positives). The Release
  # build checks the warnings; a sanitizer build neither shows these nor fails on warnings.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND RECRL_SANITIZE)
    target_compile_options(${target} PRIVATE -Wno-uninitialized -Wno-maybe-uninitialized
                                             -Wno-stringop-overflow)
  endif()
  if(RECRL_WARNINGS_AS_ERRORS AND NOT RECRL_SANITIZE AND NOT RECRL_FUZZ)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
