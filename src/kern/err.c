/* Names for Cairn error codes, shared by the kernel and host tools. */
#include "cairn/err.h"

#include <stddef.h>

struct err_name {
	int code;
	const char *name;
};

static const struct err_name names[] = {
	{ CAIRN_OK, "OK" },
	{ CAIRN_EPERM, "EPERM" },
	{ CAIRN_ENOENT, "ENOENT" },
	{ CAIRN_EINTR, "EINTR" },
	{ CAIRN_EIO, "EIO" },
	{ CAIRN_E2BIG, "E2BIG" },
	{ CAIRN_EAGAIN, "EAGAIN" },
	{ CAIRN_ENOMEM, "ENOMEM" },
	{ CAIRN_EACCES, "EACCES" },
	{ CAIRN_EFAULT, "EFAULT" },
	{ CAIRN_EBUSY, "EBUSY" },
	{ CAIRN_EEXIST, "EEXIST" },
	{ CAIRN_ENODEV, "ENODEV" },
	{ CAIRN_ENOTDIR, "ENOTDIR" },
	{ CAIRN_EISDIR, "EISDIR" },
	{ CAIRN_EINVAL, "EINVAL" },
	{ CAIRN_EMFILE, "EMFILE" },
	{ CAIRN_EFBIG, "EFBIG" },
	{ CAIRN_ENOSPC, "ENOSPC" },
	{ CAIRN_EROFS, "EROFS" },
	{ CAIRN_ERANGE, "ERANGE" },
	{ CAIRN_ENAMETOOLONG, "ENAMETOOLONG" },
	{ CAIRN_ENOSYS, "ENOSYS" },
	{ CAIRN_ENOTEMPTY, "ENOTEMPTY" },
	{ CAIRN_ENODATA, "ENODATA" },
	{ CAIRN_EBADMSG, "EBADMSG" },
	{ CAIRN_EOVERFLOW, "EOVERFLOW" },
	{ CAIRN_ENOTSUP, "ENOTSUP" },
	{ CAIRN_ETIMEDOUT, "ETIMEDOUT" },
	{ CAIRN_EDQUOT, "EDQUOT" },
	{ CAIRN_ECANCELED, "ECANCELED" },
	{ CAIRN_ESHUTDOWN, "ESHUTDOWN" },
};

const char *cairn_strerror(int err)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].code == err)
			return names[i].name;
	}
	return "E?";
}
