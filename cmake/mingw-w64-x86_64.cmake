# CMake toolchain file: cross-build for 64-bit Windows with mingw-w64 (the
# posix-threads flavour, which std::thread and Abseil's synchronization need)
# and run the resulting programs (tests) under Wine.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake ...
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(HVSOCK_MINGW_PREFIX x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${HVSOCK_MINGW_PREFIX}-gcc-posix)
set(CMAKE_CXX_COMPILER ${HVSOCK_MINGW_PREFIX}-g++-posix)
set(CMAKE_RC_COMPILER ${HVSOCK_MINGW_PREFIX}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${HVSOCK_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static runtime: the .exe files run under Wine (or on Windows) without the
# mingw DLLs next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

find_program(HVSOCK_WINE NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT HVSOCK_WINE)
  find_program(HVSOCK_WINE NAMES wine64 wine)
endif()
if(HVSOCK_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HVSOCK_WINE})
endif()
