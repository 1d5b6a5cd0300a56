# Decides CUTRAIN_WITH_CUDA and finds cuDNN (>= 9) with its version.
#
# AUTO turns CUDA on when nvcc and cuDNN are both found; ON fails with a clear
# message when either is missing; OFF builds the CPU backend only.
set(CUTRAIN_WITH_CUDA 0)
if(NOT CUTRAIN_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  find_package(CUDAToolkit QUIET)
  find_path(CUDNN_INCLUDE_DIR cudnn_version.h
    HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV CUDNN_ROOT PATH_SUFFIXES include)
  find_library(CUDNN_LIBRARY cudnn
    HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT} ENV CUDNN_ROOT
    PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
  set(_why "")
  if(NOT CMAKE_CUDA_COMPILER)
    set(_why "nvcc was not found (put it on PATH or set CMAKE_CUDA_COMPILER)")
  elseif(NOT CUDAToolkit_FOUND)
    set(_why "the CUDA toolkit libraries were not found")
  elseif(NOT CUDNN_INCLUDE_DIR OR NOT CUDNN_LIBRARY)
    set(_why "cuDNN was not found (set CUDNN_ROOT to its prefix)")
  else()
    file(READ ${CUDNN_INCLUDE_DIR}/cudnn_version.h _v)
    string(REGEX MATCH "define CUDNN_MAJOR ([0-9]+)" _ "${_v}")
    set(CUDNN_VERSION_MAJOR ${CMAKE_MATCH_1})
    string(REGEX MATCH "define CUDNN_MINOR ([0-9]+)" _ "${_v}")
    set(CUDNN_VERSION_MINOR ${CMAKE_MATCH_1})
    string(REGEX MATCH "define CUDNN_PATCHLEVEL ([0-9]+)" _ "${_v}")
    set(CUDNN_VERSION "${CUDNN_VERSION_MAJOR}.${CUDNN_VERSION_MINOR}.${CMAKE_MATCH_1}")
    if(CUDNN_VERSION_MAJOR LESS 9)
      message(FATAL_ERROR "cutrain needs cuDNN 9 or newer; found cuDNN ${CUDNN_VERSION} in ${CUDNN_INCLUDE_DIR}")
    endif()
  endif()
  if(_why STREQUAL "")
    set(CUTRAIN_WITH_CUDA 1)
    set(CMAKE_CUDA_ARCHITECTURES ${CUTRAIN_CUDA_ARCHS})
    enable_language(CUDA)
    # CMake 3.25 predates nvcc 13 and does not know its C++20 flag: teach it.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    message(STATUS "cutrain: CUDA backend ON (CUDA ${CUDAToolkit_VERSION}, cuDNN ${CUDNN_VERSION}, archs ${CUTRAIN_CUDA_ARCHS})")
    # An imported target rather than the library's path, so the installed
    # package names cuDNN and finds it again where it is used (cutrainConfig.cmake).
    if(NOT TARGET cutrain::cudnn)
      add_library(cutrain::cudnn UNKNOWN IMPORTED)
      set_target_properties(cutrain::cudnn PROPERTIES IMPORTED_LOCATION ${CUDNN_LIBRARY})
    endif()
  elseif(CUTRAIN_CUDA STREQUAL "ON")
    message(FATAL_ERROR "CUTRAIN_CUDA=ON but ${_why}")
  else()
    message(STATUS "cutrain: CUDA backend OFF: ${_why}")
  endif()
else()
  message(STATUS "cutrain: CUDA backend OFF (CUTRAIN_CUDA=OFF)")
endif()

# Adds src/cuda/*.{cpp,cu} and the nvcc build of kernels/*.cu to `target`.
function(cutrain_add_cuda_backend target)
  file(GLOB _cuda_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/cuda/*.cpp ${PROJECT_SOURCE_DIR}/src/cuda/*.cu)
  target_sources(${target} PRIVATE ${_cuda_srcs} ${CUTRAIN_KERNEL_SOURCES})
  # The glue files each keep file-local helpers of the same names (handle_for,
  # check wrappers): compiled one by one, outside the library's unity batches.
  set_source_files_properties(${_cuda_srcs} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  target_include_directories(${target} PRIVATE ${CUDNN_INCLUDE_DIR} ${PROJECT_SOURCE_DIR}/kernels)
  target_link_libraries(${target} PUBLIC CUDA::cudart CUDA::cublas CUDA::cublasLt cutrain::cudnn)
  target_compile_definitions(${target} PUBLIC CUTRAIN_WITH_CUDA=1)
  target_compile_definitions(${target} PRIVATE
    CUTRAIN_CUDA_VERSION="${CUDAToolkit_VERSION}" CUTRAIN_CUDNN_VERSION="${CUDNN_VERSION}"
    CUTRAIN_CUDA_ARCHS="${CUTRAIN_CUDA_ARCHS}")
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall,-Wextra -Werror=all-warnings -lineinfo>)
  set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF CUDA_RUNTIME_LIBRARY Shared)
  # The backend registers itself from src/cuda/cuda_backend.cpp, which nothing
  # else references: the symbol named here keeps that object in every link
  # against the static library (harmless when it is shared).
  target_link_options(${target} INTERFACE "LINKER:--undefined=cutrain_cuda_backend_registrar")
endfunction()
