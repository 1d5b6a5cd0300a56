# Warnings as errors on our own code; sanitizers on request.
# -Wno-missing-field-initializers: designated initialisers of option structs
# leave fields at their defaults on purpose.
# g++ 12 reports false positives inside std::string's operator+ and replace at
# -O3 (GCC bugs 105329, 105651): -Wrestrict always, and -Wstringop-overflow /
# -Warray-bounds (bounds above PTRDIFF_MAX) once the precompiled header's
# inlining brings them out. Off for g++ 12 only; the sanitizer builds keep
# checking real bounds.
function(cutrain_set_warnings target)
  set(_gcc12 $<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-missing-field-initializers>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,${_gcc12}>:-Wno-restrict -Wno-stringop-overflow -Wno-array-bounds>)
endfunction()

function(cutrain_set_sanitizers target)
  if(CUTRAIN_SANITIZE)
    string(REPLACE ";" "," _san "${CUTRAIN_SANITIZE}")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all>)
    target_link_options(${target} PRIVATE -fsanitize=${_san})
  endif()
endfunction()
