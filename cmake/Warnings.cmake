# Warnings on everywhere; errors with -DKTSTR_WERROR=ON (CI).
function(ktstr_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
                         -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                         -Wformat=2)
  if(KTSTR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
