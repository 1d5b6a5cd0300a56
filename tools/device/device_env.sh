# Sourced by the device scripts: library path for a packed build (its own
# Debian libraries, then cuDNN/cuBLAS/cudart from the machine's Python CUDA wheels).
pack=${1:-.devbuild}
libs="$pack/lib"
for d in $(python3 -c "
import importlib, os
for m in ('nvidia.cudnn', 'nvidia.cublas', 'nvidia.cuda_runtime', 'nvidia.cu13'):
    try:
        for base in importlib.import_module(m).__path__:
            for sub in ('lib', 'lib64'):
                if os.path.isdir(os.path.join(base, sub)): print(os.path.join(base, sub))
    except Exception:
        pass
" 2>/dev/null); do libs="$libs:$d"; done
export LD_LIBRARY_PATH="$libs:${LD_LIBRARY_PATH:-}"
