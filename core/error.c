#include "error.h"

G_DEFINE_QUARK(dosed-error-quark, dosed_error)

bool dosed_error_is(const GError *error, DosedErrorCode kind)
{
	DosedErrorCode code;

	if (!error || error->domain != DOSED_ERROR)
		return false;
	code = (DosedErrorCode)error->code;
	switch (code) {
	case DOSED_ERROR_SAME_DAY:
	case DOSED_ERROR_TOO_SOON:
		code = DOSED_ERROR_REFUSED;
		break;
	case DOSED_ERROR_UNKNOWN_PATIENT:
	case DOSED_ERROR_UNKNOWN_DOSE:
		code = DOSED_ERROR_NOT_FOUND;
		break;
	case DOSED_ERROR_NO_PATIENT:
		code = DOSED_ERROR_INVALID;
		break;
	default:
		break;
	}
	return code == kind;
}
