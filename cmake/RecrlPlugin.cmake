# recrl_add_plugin(KIND <environment|reward|algorithm> NAME <name> SOURCES <files...>
#                  [LINK <targets...>] [OUTPUT_DIRECTORY <dir>])
#
# Builds a plugin as a MODULE library named recrl_<kind>_<name>.so, the file name the plugin
# registry expects. Used in-tree and, installed with the SDK, by plugins built elsewhere
# (find_package(recrl) provides it). The target is recrl_<kind>_<name>.

# Where an installed recrl looks for its bundled plugins, relative to the install prefix; the
# registry's default search path is <dir of bin/recrl>/../lib/recrl/plugins, hence fixed.
set(RECRL_INSTALL_PLUGIN_DIR lib/recrl/plugins)
# In recrl's own tree, recrl_add_plugin also installs each plugin there. Out of tree,
# recrlConfig.cmake sets this OFF: a plugin's own project decides whether and where it goes.
if(NOT DEFINED RECRL_INSTALL_BUNDLED_PLUGINS)
  if(PROJECT_NAME STREQUAL "recrl")
    set(RECRL_INSTALL_BUNDLED_PLUGINS ON)
  else()
    set(RECRL_INSTALL_BUNDLED_PLUGINS OFF)
  endif()
endif()

function(recrl_add_plugin)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "KIND;NAME;OUTPUT_DIRECTORY" "SOURCES;LINK")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "recrl_add_plugin: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_KIND OR NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "recrl_add_plugin: KIND, NAME and SOURCES are required")
  endif()
  if(NOT ARG_KIND MATCHES "^(environment|reward|algorithm)$")
    message(FATAL_ERROR "recrl_add_plugin: KIND must be environment, reward or algorithm, got '${ARG_KIND}'")
  endif()
  if(NOT ARG_NAME MATCHES "^[a-z][a-z0-9_]*$")
    message(FATAL_ERROR "recrl_add_plugin: NAME must be lower-case letters, digits and _, got '${ARG_NAME}'")
  endif()

  set(target recrl_${ARG_KIND}_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE recrl::sdk ${ARG_LINK})
  if(NOT ARG_OUTPUT_DIRECTORY)
    if(DEFINED RECRL_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIRECTORY ${RECRL_PLUGIN_OUTPUT_DIR})
    else()
      set(ARG_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    endif()
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Unresolved symbols fail at link time, not in the middle of a run.
  # (RECRL_NO_UNDEFINED: recrl's own build drops it for clang's sanitizers; an installed
  # package has it unset, so plugins built elsewhere get it.)
  if(DEFINED RECRL_NO_UNDEFINED)
    target_link_options(${target} PRIVATE ${RECRL_NO_UNDEFINED})
  else()
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  set_property(GLOBAL APPEND PROPERTY RECRL_PLUGIN_TARGETS ${target})
  if(RECRL_INSTALL_BUNDLED_PLUGINS)
    # Installed plugins find librecrl relative to themselves: lib/recrl/plugins -> lib.
    include(GNUInstallDirs)
    file(RELATIVE_PATH plugin_to_libdir /prefix/${RECRL_INSTALL_PLUGIN_DIR}
         /prefix/${CMAKE_INSTALL_LIBDIR})
    string(REGEX REPLACE "/$" "" plugin_to_libdir "${plugin_to_libdir}")
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${plugin_to_libdir}")
    install(TARGETS ${target} LIBRARY DESTINATION ${RECRL_INSTALL_PLUGIN_DIR})
  endif()
  # GCC 12 reports a false -Wmaybe-uninitialized inside avx512fintrin.h wherever Eigen's AVX-512
  # code is inlined (GCC bug 105593, fixed in GCC 13): with a plugin's own -Wall it would be the
  # one warning that is not about the plugin's code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  # recrl's own warning set is for recrl's own plugins; a plugin built elsewhere keeps the
  # warnings its project chose (recrl_set_warnings(<target>) applies recrl's, if wanted).
  if(RECRL_INSTALL_BUNDLED_PLUGINS AND COMMAND recrl_set_warnings)
    recrl_set_warnings(${target})
  endif()
  # Environments and rewards define a task; their arithmetic rounds each operation as the
  # source writes it (as Python or numpy would), without the fused multiply-adds that GCC forms
  # by default in C++ on FMA hardware, so that the task is the same one another tool rebuilds
  # from its definition (Gymnasium's CartPole, docs/environments/recommendation.md). A plugin that
  # wants them anyway can add -ffp-contract=fast to its target after this call.
  if(ARG_KIND MATCHES "^(environment|reward)$")
    target_compile_options(${target} PRIVATE -ffp-contract=off)
  endif()
endfunction()
