set(VIGIL_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
if(VIGIL_WERROR)
  list(APPEND VIGIL_WARNING_FLAGS -Werror)
endif()
