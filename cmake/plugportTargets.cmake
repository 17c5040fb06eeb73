# Imported targets of the plugport package (see plugportConfig.cmake). Paths are relative
# to this file, so an installed prefix may be moved as a whole.

if(TARGET plugport::runtime)
  return()
endif()

get_filename_component(_plugport_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
# Filled by scripts/install.sh.
set(_plugport_version "@VERSION@")
set(_plugport_soname "@SONAME@")

add_library(plugport::runtime SHARED IMPORTED)
set_target_properties(plugport::runtime PROPERTIES
  IMPORTED_LOCATION "${_plugport_prefix}/lib/libplugport.so.${_plugport_version}"
  IMPORTED_SONAME "${_plugport_soname}"
  INTERFACE_INCLUDE_DIRECTORIES "${_plugport_prefix}/include")

add_library(plugport::runtime_static STATIC IMPORTED)
set_target_properties(plugport::runtime_static PROPERTIES
  IMPORTED_LOCATION "${_plugport_prefix}/lib/libplugport.a"
  IMPORTED_LINK_INTERFACE_LANGUAGES "C"
  INTERFACE_INCLUDE_DIRECTORIES "${_plugport_prefix}/include"
  INTERFACE_LINK_LIBRARIES "ffi;Threads::Threads;${CMAKE_DL_LIBS};m")

# The C++ helper headers (plugport gen --lang cpp writes the per-world ones next to the
# generated C header); for now this carries the include directory and C++17.
add_library(plugport::cpp INTERFACE IMPORTED)
set_target_properties(plugport::cpp PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_plugport_prefix}/include"
  INTERFACE_COMPILE_FEATURES "cxx_std_17")

add_executable(plugport::plugport IMPORTED)
set_target_properties(plugport::plugport PROPERTIES
  IMPORTED_LOCATION "${_plugport_prefix}/bin/plugport")

foreach(_plugport_file
    "${_plugport_prefix}/lib/libplugport.so.${_plugport_version}"
    "${_plugport_prefix}/include/plugport.h"
    "${_plugport_prefix}/bin/plugport")
  if(NOT EXISTS "${_plugport_file}")
    message(FATAL_ERROR "plugport package in ${_plugport_prefix} is incomplete: "
      "${_plugport_file} is missing (reinstall with scripts/install.sh --prefix ${_plugport_prefix})")
  endif()
endforeach()
unset(_plugport_file)
unset(_plugport_prefix)
unset(_plugport_version)
unset(_plugport_soname)
