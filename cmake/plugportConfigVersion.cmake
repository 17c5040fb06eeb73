# Version file of the plugport CMake package (filled by scripts/install.sh).
# Compatibility follows the runtime's SONAME: a request is compatible when it has the
# same major version and is not newer; for 0.x (where every minor version may break, the
# rule of plugport's own compatibility lines) the same minor version as well.

set(PACKAGE_VERSION "@VERSION@")

# The installed library's pointer size must match the project's (when it is known).
if(NOT CMAKE_SIZEOF_VOID_P STREQUAL "" AND NOT CMAKE_SIZEOF_VOID_P STREQUAL "@SIZEOF_VOID_P@")
  set(PACKAGE_VERSION "${PACKAGE_VERSION} (@SIZEOF_VOID_P@-byte pointers)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
  return()
endif()

if(NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _plugport_mm "${PACKAGE_VERSION}")
  set(_plugport_major "${CMAKE_MATCH_1}")
  set(_plugport_minor "${CMAKE_MATCH_2}")
  if(NOT PACKAGE_FIND_VERSION_MAJOR STREQUAL _plugport_major)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  elseif(_plugport_major STREQUAL "0" AND NOT PACKAGE_FIND_VERSION_MINOR STREQUAL _plugport_minor
         AND NOT PACKAGE_FIND_VERSION_COUNT LESS 2)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  else()
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
    if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
      set(PACKAGE_VERSION_EXACT TRUE)
    endif()
  endif()
  unset(_plugport_mm)
  unset(_plugport_major)
  unset(_plugport_minor)
endif()
