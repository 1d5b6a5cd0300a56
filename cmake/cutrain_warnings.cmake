# Warnings as errors on our own code; sanitizers on request.
function(cutrain_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-missing-field-initializers>)
endfunction()

function(cutrain_set_sanitizers target)
  if(CUTRAIN_SANITIZE)
    string(REPLACE ";" "," _san "${CUTRAIN_SANITIZE}")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all>)
    target_link_options(${target} PRIVATE -fsanitize=${_san})
  endif()
endfunction()
