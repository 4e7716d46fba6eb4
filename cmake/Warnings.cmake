# Warnings for our own targets only (third-party headers come in as SYSTEM includes).
function(ad_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2
    -Wimplicit-fallthrough)
  if(AD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
