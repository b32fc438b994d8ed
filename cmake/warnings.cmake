# Warnings for our own targets only; third-party headers come in as SYSTEM.
function(dondoc_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
    -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's -Wrestrict misfires inside libstdc++'s string concatenation at -O2/-O3
    # (GCC bug 105329); it reports no problem of ours.
    target_compile_options(${target} PRIVATE -Wno-restrict)
    # With sanitizers at -O1, GCC 12 reports uninitialised values inside libstdc++
    # (<regex>, std::optional) that are not; the sanitizers themselves check for real ones.
    if(CMAKE_CXX_FLAGS MATCHES "-fsanitize")
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
  endif()
  if(DONDOC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
