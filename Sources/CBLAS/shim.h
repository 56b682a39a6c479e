// The one C header BehaviorKit reads BLAS from. On Linux it is OpenBLAS's cblas.h
// (found through `pkg-config openblas`); only the Linalg module imports it.
#include <cblas.h>
