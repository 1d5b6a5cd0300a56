# kernels/*.cu: the list the CUDA backend compiles with nvcc. The emulated
# build (kernels/emu) adds cutrain_emu from the same files.
file(GLOB CUTRAIN_KERNEL_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/*.cu)
