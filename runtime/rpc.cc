#include "runtime/rpc.h"

// The seam is interfaces only; this file keeps the library non-empty.
namespace saludo::runtime {}  // namespace saludo::runtime
