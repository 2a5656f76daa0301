# vigil_area(NAME DEPS...): a static library vigil_NAME from every .cpp in the calling folder.
# Areas without sources yet become interface libraries so the tree always configures.
function(vigil_area name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(vigil_${name} STATIC ${sources})
    target_link_libraries(vigil_${name} PUBLIC ${ARGN})
  else()
    add_library(vigil_${name} INTERFACE)
    target_link_libraries(vigil_${name} INTERFACE ${ARGN})
  endif()
endfunction()
