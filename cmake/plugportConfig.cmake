# CMake config package of plugport, installed by scripts/install.sh into
# <prefix>/lib/cmake/plugport/. Use:
#
#   find_package(plugport 0.1 CONFIG REQUIRED)   # CMAKE_PREFIX_PATH=<prefix>
#   plugport_generate(TARGET my_host WIT wit/ LANG c)
#   target_link_libraries(my_host PRIVATE plugport::runtime)
#
# Imported targets:
#   plugport::runtime         libplugport.so (the loader's C API) with the include
#                             directory of plugport.h
#   plugport::runtime_static  libplugport.a, with the system libraries it needs
#   plugport::cpp             INTERFACE target for C++ users (include directory, C++17)
#   plugport::plugport        the plugport CLI (an imported executable)
# Function:
#   plugport_generate(TARGET <t> WIT <path> [WORLD <w>] LANG <c|cpp|go> [OUT_DIR <dir>])
#   (plugportGenerate.cmake)
# Variables: plugport_VERSION (from plugportConfigVersion.cmake), PLUGPORT_EXECUTABLE.

include(CMakeFindDependencyMacro)
find_dependency(Threads)

include("${CMAKE_CURRENT_LIST_DIR}/plugportTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/plugportGenerate.cmake")

get_target_property(PLUGPORT_EXECUTABLE plugport::plugport IMPORTED_LOCATION)
set(plugport_FOUND TRUE)
