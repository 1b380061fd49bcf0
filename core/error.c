#include "error.h"

G_DEFINE_QUARK(dosed-error-quark, dosed_error)
