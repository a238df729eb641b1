# Every system library dubkit links, found through the package's own CMake config or
# pkg-config. Nothing is downloaded. The Debian packages behind them: debian-packages.txt.

find_package(PkgConfig REQUIRED)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(EBUR128 REQUIRED IMPORTED_TARGET libebur128)
pkg_check_modules(PORTAUDIO REQUIRED IMPORTED_TARGET portaudio-2.0)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
# dlib: face detection and 68-point landmarks (faces/).
pkg_check_modules(DLIB REQUIRED IMPORTED_TARGET dlib-1)
# dlib-1.pc names BLAS, LAPACK, libpng... by full path; CMake files those as link options,
# which land before the objects, where --as-needed drops them.
set_property(TARGET PkgConfig::DLIB APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${DLIB_LDFLAGS_OTHER})
# FFmpeg libraries: video decode/encode/mux (video/).
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale libswresample)
pkg_check_modules(ESPEAK_NG REQUIRED IMPORTED_TARGET espeak-ng)
# pocketsphinx.pc pulls in sphinxbase (whose headers it includes) by Requires. Debian's also
# names /usr/include/sphinxbase, which does not exist (the headers are under the multiarch
# include dir, named by sphinxbase.pc), and CMake refuses a target with a missing include dir.
pkg_check_modules(POCKETSPHINX REQUIRED IMPORTED_TARGET pocketsphinx)
get_target_property(_dirs PkgConfig::POCKETSPHINX INTERFACE_INCLUDE_DIRECTORIES)
set(_existing)
foreach(dir IN LISTS _dirs)
  if(IS_DIRECTORY "${dir}")
    list(APPEND _existing "${dir}")
  endif()
endforeach()
set_target_properties(PkgConfig::POCKETSPHINX PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_existing}")
# libsodium: Ed25519 signatures, SHA-256 and HMAC (provenance/).
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(RUBBERBAND REQUIRED IMPORTED_TARGET rubberband)
pkg_check_modules(SWORD REQUIRED IMPORTED_TARGET sword)
# zlib: the gzipped transcript files of Debian packages (corpus/real/).
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
# CBLAS for WaveRNN's hand-written recurrent loop. Links libblas.so.3, which Debian's
# alternatives point at OpenBLAS (libopenblas0-openmp) at run time.
find_package(BLAS REQUIRED)

# flite ships no pkg-config or CMake file: its library and the four US English voices.
find_path(FLITE_INCLUDE_DIR flite/flite.h REQUIRED)
set(FLITE_LIBRARIES)
foreach(lib flite_cmu_us_slt flite_cmu_us_awb flite_cmu_us_rms flite_cmu_us_kal16 flite_usenglish flite_cmulex flite)
  find_library(FLITE_${lib} ${lib} REQUIRED)
  list(APPEND FLITE_LIBRARIES ${FLITE_${lib}})
endforeach()
add_library(Flite::flite INTERFACE IMPORTED)
target_include_directories(Flite::flite INTERFACE ${FLITE_INCLUDE_DIR})
target_link_libraries(Flite::flite INTERFACE ${FLITE_LIBRARIES} m)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs objdetect photo)

# Debian's TorchConfig looks for CUDA and warns without it; it is not used here.
find_package(Torch REQUIRED)

# LibTorch headers take seconds per translation unit: the sources that include them share one
# precompiled header, built once. Only those: loading the 570 MB header costs a file that does
# not need it several times its own compile time (measured here: provenance/crypto.cpp 7.8 s
# without, 24 s with; lipsync/syncnet.cpp 38 s without, 24 s with).
add_library(dubkit_torch_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
target_link_libraries(dubkit_torch_pch PUBLIC ${TORCH_LIBRARIES})
target_precompile_headers(dubkit_torch_pch PRIVATE <torch/torch.h>)

# Sets ${out} to TRUE when `file` includes a LibTorch header (<torch/...>, <ATen/...>,
# <c10/...>) directly or through the project's own headers, found relative to the source
# tree, the file's folder or tests/. Answers are cached for the whole configure run. Scanned at
# configure time: a file that gains such an include later still builds, only without the
# shared header until the next configure.
function(dubkit_includes_torch file out)
  string(MD5 key "${file}")
  get_property(known GLOBAL PROPERTY dubkit_torch_${key} SET)
  if(known)
    get_property(result GLOBAL PROPERTY dubkit_torch_${key})
    set(${out} ${result} PARENT_SCOPE)
    return()
  endif()
  set_property(GLOBAL PROPERTY dubkit_torch_${key} FALSE)  # an include cycle ends here
  set(result FALSE)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include")
  get_filename_component(dir "${file}" DIRECTORY)
  foreach(line IN LISTS lines)
    if(line MATCHES "<(torch|ATen|c10)/")
      set(result TRUE)
      break()
    elseif(line MATCHES "\"([^\"]+)\"")
      foreach(base "${PROJECT_SOURCE_DIR}" "${dir}" "${PROJECT_SOURCE_DIR}/tests")
        if(EXISTS "${base}/${CMAKE_MATCH_1}")
          dubkit_includes_torch("${base}/${CMAKE_MATCH_1}" found)
          if(found)
            set(result TRUE)
          endif()
          break()
        endif()
      endforeach()
      if(result)
        break()
      endif()
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY dubkit_torch_${key} ${result})
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# The shared LibTorch header for `target`'s sources that include LibTorch; call it in the
# folder that lists the sources.
function(dubkit_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM dubkit_torch_pch)
  get_target_property(sources ${target} SOURCES)
  foreach(source IN LISTS sources)
    get_filename_component(path "${source}" ABSOLUTE)
    dubkit_includes_torch("${path}" uses_torch)
    if(NOT uses_torch)
      set_source_files_properties(${source} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    endif()
  endforeach()
endfunction()

function(dubkit_use_torch target)
  target_link_libraries(${target} PRIVATE ${TORCH_LIBRARIES})
  dubkit_torch_pch(${target})
endfunction()
