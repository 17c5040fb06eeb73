# plugport_generate(TARGET <target> WIT <path> [WORLD <world>] LANG <c|cpp|go>
#                   [OUT_DIR <dir>])
#
# Generates the bindings of a WIT world for <target> at build time, with the plugport CLI
# of this package (plugport::plugport), the way protobuf_generate does for .proto files:
#
# - WIT is a .wit file or a WIT package directory (with an optional deps/ folder);
#   relative paths are relative to the current source directory. WORLD picks the world
#   when the package defines several. LANG is passed to `plugport gen --lang`.
# - The files land in OUT_DIR (default: <current binary dir>/<target>_plugport_<lang>),
#   which is added to the target's include directories (PUBLIC), so `#include
#   "<world>.h"` works; the files are added to the target's sources, so they are
#   generated before anything of the target compiles.
# - Dependencies: the generator runs again when a WIT file changes (every *.wit under a
#   package directory, new ones included) or the plugport CLI is replaced, and at no
#   other time. A change that breaks the world within its compatibility line fails the
#   build, as `plugport gen` refuses it (see `plugport gen --help`).
#
# The names of the generated files are learned at configure time by running the
# generator once into a scratch directory; re-run CMake after renaming the world.
# Sets <target>_PLUGPORT_<LANG>_OUTPUTS (the generated files) in the caller's scope.
function(plugport_generate)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;WIT;WORLD;LANG;OUT_DIR" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "plugport_generate: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  foreach(required TARGET WIT LANG)
    if(NOT arg_${required})
      message(FATAL_ERROR "plugport_generate: ${required} is required: "
        "plugport_generate(TARGET <t> WIT <path> [WORLD <w>] LANG <c|cpp|go> [OUT_DIR <dir>])")
    endif()
  endforeach()
  if(NOT TARGET ${arg_TARGET})
    message(FATAL_ERROR "plugport_generate: ${arg_TARGET} is not a target (create it first)")
  endif()
  if(NOT arg_LANG MATCHES "^(c|cpp|go)$")
    message(FATAL_ERROR "plugport_generate: LANG ${arg_LANG}: expected c, cpp or go")
  endif()

  get_filename_component(wit "${arg_WIT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${wit}")
    message(FATAL_ERROR "plugport_generate: WIT ${wit} does not exist")
  endif()
  if(IS_DIRECTORY "${wit}")
    file(GLOB_RECURSE wit_files CONFIGURE_DEPENDS "${wit}/*.wit")
  else()
    set(wit_files "${wit}")
  endif()

  if(arg_OUT_DIR)
    get_filename_component(out "${arg_OUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(out "${CMAKE_CURRENT_BINARY_DIR}/${arg_TARGET}_plugport_${arg_LANG}")
  endif()

  set(gen_args gen "${wit}" --lang ${arg_LANG})
  if(arg_WORLD)
    list(APPEND gen_args --world "${arg_WORLD}")
  endif()

  # Learn the output names: one run into an empty scratch directory (no baseline there).
  get_target_property(plugport_exe plugport::plugport IMPORTED_LOCATION)
  set(probe "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/plugport_probe/${arg_TARGET}_${arg_LANG}")
  file(REMOVE_RECURSE "${probe}")
  execute_process(
    COMMAND "${plugport_exe}" ${gen_args} --out "${probe}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "plugport_generate(${arg_TARGET}): plugport ${gen_args} failed:\n"
      "${stderr}${stdout}")
  endif()
  set(outputs "")
  string(REPLACE "\n" ";" lines "${stdout}")
  foreach(line IN LISTS lines)
    if(line MATCHES "^wrote (.+)$")
      file(RELATIVE_PATH rel "${probe}" "${CMAKE_MATCH_1}")
      list(APPEND outputs "${out}/${rel}")
    endif()
  endforeach()
  file(REMOVE_RECURSE "${probe}")
  if(NOT outputs)
    message(FATAL_ERROR "plugport_generate(${arg_TARGET}): plugport ${gen_args} reported no "
      "file written:\n${stdout}")
  endif()

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND plugport::plugport ${gen_args} --out "${out}"
    DEPENDS ${wit_files} "${plugport_exe}"
    COMMENT "plugport: generating ${arg_LANG} bindings of ${arg_WIT} for ${arg_TARGET}"
    VERBATIM)
  set_source_files_properties(${outputs} PROPERTIES GENERATED TRUE HEADER_FILE_ONLY TRUE)
  target_sources(${arg_TARGET} PRIVATE ${outputs})
  target_include_directories(${arg_TARGET} PUBLIC "${out}")
  string(TOUPPER "${arg_LANG}" lang_upper)
  set(${arg_TARGET}_PLUGPORT_${lang_upper}_OUTPUTS "${outputs}" PARENT_SCOPE)
endfunction()
