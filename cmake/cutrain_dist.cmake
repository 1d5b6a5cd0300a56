# The dist layer (src/dist): collectives on MPI (CPU tensors, and NCCL's
# bootstrap) and on NCCL (CUDA tensors). Both are optional: without MPI a
# process is a world of one and the distributed entry points say how to get it.
#
# CUTRAIN_MPI: AUTO (on when an MPI implementation such as Debian's OpenMPI is
# found), ON (fail when it is not), OFF. NCCL comes with the CUDA toolkit and
# is used when both the CUDA backend and MPI are on.
set(CUTRAIN_MPI "AUTO" CACHE STRING "Build the MPI and NCCL communicators: AUTO, ON or OFF")
set_property(CACHE CUTRAIN_MPI PROPERTY STRINGS AUTO ON OFF)

set(CUTRAIN_WITH_MPI 0)
set(CUTRAIN_WITH_NCCL 0)
if(NOT CUTRAIN_MPI STREQUAL "OFF")
  # The C API only: the deprecated C++ bindings would drag their headers in.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(CUTRAIN_WITH_MPI 1)
    message(STATUS "cutrain: MPI ON (MPI ${MPI_CXX_VERSION}, ${MPIEXEC_EXECUTABLE})")
  elseif(CUTRAIN_MPI STREQUAL "ON")
    message(FATAL_ERROR "CUTRAIN_MPI=ON but no MPI was found (install openmpi-bin libopenmpi-dev)")
  else()
    message(STATUS "cutrain: MPI OFF: no MPI found (install openmpi-bin libopenmpi-dev)")
  endif()
endif()
if(CUTRAIN_WITH_MPI AND CUTRAIN_WITH_CUDA)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV NCCL_ROOT
    PATH_SUFFIXES include)
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}
    ENV NCCL_ROOT PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(CUTRAIN_WITH_NCCL 1)
    add_library(cutrain::nccl UNKNOWN IMPORTED)
    set_target_properties(cutrain::nccl PROPERTIES IMPORTED_LOCATION ${NCCL_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${NCCL_INCLUDE_DIR})
    message(STATUS "cutrain: NCCL ON (${NCCL_LIBRARY})")
  else()
    message(STATUS "cutrain: NCCL OFF: nccl.h or libnccl not found (set NCCL_ROOT)")
  endif()
endif()

# Adds src/dist to `target`. The files are compiled one by one (outside unity
# batches) with the backend switches as per-file definitions, so the rest of
# the library never sees mpi.h or nccl.h.
function(cutrain_add_dist target)
  set(_dir ${PROJECT_SOURCE_DIR}/src/dist)
  set(_srcs ${_dir}/communicator.cpp)
  if(CUTRAIN_WITH_MPI)
    list(APPEND _srcs ${_dir}/mpi_communicator.cpp)
    target_link_libraries(${target} PRIVATE MPI::MPI_CXX)
  endif()
  if(CUTRAIN_WITH_NCCL)
    list(APPEND _srcs ${_dir}/nccl_communicator.cpp)
    target_link_libraries(${target} PRIVATE cutrain::nccl)
  endif()
  target_sources(${target} PRIVATE ${_srcs})
  set_source_files_properties(${_srcs} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON
    COMPILE_DEFINITIONS "CUTRAIN_WITH_MPI=${CUTRAIN_WITH_MPI};CUTRAIN_WITH_NCCL=${CUTRAIN_WITH_NCCL}")
endfunction()
