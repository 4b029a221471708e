# Warnings for project targets only (third-party headers are included as SYSTEM).
function(moewb_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  # GCC 12 at -O3 (Release) reports std::variant / std::optional / std::string SSO copies as "may be
  # used uninitialized", "out of the bounds", "overflows the destination" and "may overlap" (31 false
  # positives in core/compress, core/search, tokenizer_bpe, model_card, a test ...; GCC bugs 105562,
  # 105329, 105651). The ci preset (-O2, -Werror) keeps all four.
  target_compile_options(${target} PRIVATE
    "$<$<AND:$<CXX_COMPILER_ID:GNU>,$<CONFIG:Release>>:-Wno-maybe-uninitialized;-Wno-array-bounds;-Wno-stringop-overflow;-Wno-restrict>")
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
