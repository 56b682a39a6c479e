// zlib, for reading gzip-compressed event logs (Debian: zlib1g-dev).
#include <zlib.h>
