# Warnings for project targets only (third-party headers are included as SYSTEM).
function(moewb_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(MOEWB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Reuses core's precompiled LibTorch header. The PCH is compiled -fPIC (static library), and GCC
# refuses a PCH built with other code-model flags, so the consumer compiles -fPIC as well.
function(moewb_reuse_core_pch target)
  if(MOEWB_PCH)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -fPIC)
    target_precompile_headers(${target} REUSE_FROM moewb_core)
  endif()
endfunction()
