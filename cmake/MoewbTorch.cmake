# Finding LibTorch: Debian's CPU build (libtorch-dev, 1.13) by default, or any LibTorch 2.x through
# CMAKE_PREFIX_PATH - including the CUDA one inside a PyPI `torch` wheel
# (`python -c 'import torch; print(torch.utils.cmake_prefix_path)'`, packaging/build-cuda.sh).
#
# A CUDA LibTorch's config insists on a CUDA toolkit (nvcc) at configure time, although it only uses
# it to define the `torch::cudart` target: this project compiles no CUDA code of its own. GPU servers
# with a pip-installed torch often have no toolkit, so when MOEWB_CUDA_RUNTIME names a libcudart
# (the wheel's nvidia/cuda_runtime/lib/libcudart.so.12) we define `torch::cudart` from it ourselves
# and LibTorch's config skips its toolkit search. With MOEWB_WITH_CUDA=ON the real toolkit is used.
set(MOEWB_CUDA_RUNTIME "" CACHE FILEPATH
    "libcudart of a CUDA LibTorch from a torch wheel, used instead of a CUDA toolkit (empty: not needed)")
if(MOEWB_CUDA_RUNTIME AND NOT MOEWB_WITH_CUDA AND NOT TARGET torch::cudart)
  if(NOT EXISTS "${MOEWB_CUDA_RUNTIME}")
    message(FATAL_ERROR "MOEWB_CUDA_RUNTIME: no such file: ${MOEWB_CUDA_RUNTIME}")
  endif()
  add_library(torch::cudart INTERFACE IMPORTED)
  set_property(TARGET torch::cudart PROPERTY INTERFACE_LINK_LIBRARIES "${MOEWB_CUDA_RUNTIME}")
  message(STATUS "LibTorch CUDA runtime: ${MOEWB_CUDA_RUNTIME} (no CUDA toolkit needed)")
endif()

# LibTorch's config finds some libraries with find_library(... PATHS <its lib folder>), which searches the
# system folders first: with Debian's libtorch-dev installed as well, a wheel's build then links
# Debian's libc10 next to the wheel's (two LibTorch versions in one process abort at start-up). Point
# those cache entries at the LibTorch named by CMAKE_PREFIX_PATH first.
find_path(_moewb_torch_cmake Torch/TorchConfig.cmake PATHS ${CMAKE_PREFIX_PATH} NO_DEFAULT_PATH)
if(_moewb_torch_cmake AND EXISTS "${_moewb_torch_cmake}/../../lib")
  get_filename_component(_moewb_torch_lib "${_moewb_torch_cmake}/../../lib" ABSOLUTE)
  foreach(_pair "TORCH_LIBRARY;torch" "c10_LIBRARY;c10" "C10_CUDA_LIBRARY;c10_cuda")
    list(GET _pair 0 _var)
    list(GET _pair 1 _name)
    if(EXISTS "${_moewb_torch_lib}/lib${_name}.so" AND NOT ${_var})
      set(${_var} "${_moewb_torch_lib}/lib${_name}.so" CACHE FILEPATH "LibTorch library (cmake/MoewbTorch.cmake)")
    endif()
  endforeach()
endif()

find_package(Torch REQUIRED)
set_package_properties(Torch PROPERTIES TYPE REQUIRED PURPOSE
  "tensors, forward pass, SVD (Debian's CPU build or any CUDA LibTorch via CMAKE_PREFIX_PATH)")
message(STATUS "LibTorch ${Torch_VERSION} from ${Torch_DIR}")
# Debian's libtorch-dev (in /usr): the build can be packaged as a .deb whose dependencies are Debian
# packages. Any other LibTorch (a wheel's) is linked by absolute path and RUNPATH into a folder of
# that machine: such builds run from their build tree and offer no package (packaging/CMakeLists.txt).
string(FIND "${Torch_DIR}" "/usr/" _moewb_torch_usr)
if(_moewb_torch_usr EQUAL 0)
  set(MOEWB_SYSTEM_TORCH ON)
else()
  set(MOEWB_SYSTEM_TORCH OFF)
endif()

# LibTorch 2.x wheels ship their own fmt headers (fmt 12) in their include folder, which comes before
# the system's on the command line; our code links the system libfmt (Debian: fmt 9). A folder holding
# only a link to the system's fmt headers, put first, keeps headers and library of the same fmt.
set(MOEWB_FMT_FIRST_DIR "")
get_target_property(_fmt_inc fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
if(NOT _fmt_inc)  # Debian's fmt config names no folder: its headers are in the default /usr/include
  set(_fmt_inc /usr/include)
endif()
list(GET _fmt_inc 0 _fmt_inc)
foreach(_dir ${TORCH_INCLUDE_DIRS})
  if(EXISTS "${_dir}/fmt/format.h" AND NOT _dir STREQUAL _fmt_inc)
    set(MOEWB_FMT_FIRST_DIR "${CMAKE_BINARY_DIR}/moewb-fmt-first")
    file(MAKE_DIRECTORY "${MOEWB_FMT_FIRST_DIR}")
    file(CREATE_LINK "${_fmt_inc}/fmt" "${MOEWB_FMT_FIRST_DIR}/fmt" SYMBOLIC)
    message(STATUS "LibTorch bundles fmt headers (${_dir}/fmt); using the system's (${_fmt_inc}/fmt) first")
    break()
  endif()
endforeach()

# LibTorch 2.x wheels are built with a newer GCC than the system's and carry (and export) their own
# copies of some libstdc++ functions, std::filesystem among them: libtorch.so defines
# std::filesystem::remove_all and friends. An executable's calls bind to the first library in its
# needed list that defines the symbol, and g++ puts libstdc++ last, so our calls landed in libtorch's
# copy, which jumped to address 0 (test_tensor_layout, gdb). Naming libstdc++ as the first needed
# library makes the executables bind to the system's libstdc++, the one our code was compiled against.
# Only for LibTorch 2.x; Debian's 1.13 exports no such symbols (the default build's link is unchanged).
if(Torch_VERSION VERSION_GREATER_EQUAL 2)
  add_link_options("LINKER:--push-state,--no-as-needed,-lstdc++,--pop-state")
  message(STATUS "LibTorch ${Torch_VERSION}: libstdc++ linked first (its std::filesystem before libtorch's copy)")
endif()
