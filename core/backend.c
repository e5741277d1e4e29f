/* The backend chosen at boot by backend_init() (core/backend.h). */
#include "core/backend.h"

const struct backend_ops *backend;
struct backend_caps backend_caps;
