# Warnings for our own targets only; third-party headers come in as SYSTEM.
function(dondoc_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
    -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
  if(DONDOC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
