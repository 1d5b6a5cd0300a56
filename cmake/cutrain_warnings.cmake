# Warnings as errors on our own code; sanitizers on request.
# -Wno-restrict: g++ 12 reports false positives inside std::string's operator+
# at -O3 (GCC bug 105329); -Wno-missing-field-initializers: designated
# initialisers of option structs leave fields at their defaults on purpose.
function(cutrain_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-restrict>)
endfunction()

function(cutrain_set_sanitizers target)
  if(CUTRAIN_SANITIZE)
    string(REPLACE ";" "," _san "${CUTRAIN_SANITIZE}")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all>)
    target_link_options(${target} PRIVATE -fsanitize=${_san})
  endif()
endfunction()
