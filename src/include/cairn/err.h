/* Cairn error codes: one shared set for the kernel core, every component and the
 * host tools. 0 is success, negative values are errors, positive values carry
 * sizes or counts. The numbers follow Linux errno so logs read familiarly, but are
 * fixed here so host builds (glibc) and the image (picolibc) agree. */
#ifndef CAIRN_ERR_H
#define CAIRN_ERR_H

#define CAIRN_OK 0
#define CAIRN_EPERM (-1)	 /* operation not permitted by the capability table */
#define CAIRN_ENOENT (-2)	 /* no such key, file, node or device */
#define CAIRN_EINTR (-4)	 /* wait interrupted (thread being stopped) */
#define CAIRN_EIO (-5)		 /* device reported an error, or data failed a check on read */
#define CAIRN_E2BIG (-7)	 /* argument list or value larger than its documented cap */
#define CAIRN_EAGAIN (-11)	 /* try again: resource temporarily busy */
#define CAIRN_ENOMEM (-12)	 /* allocator exhausted */
#define CAIRN_EACCES (-13)	 /* access to a key prefix or object denied by policy */
#define CAIRN_EFAULT (-14)	 /* bad address */
#define CAIRN_EBUSY (-16)	 /* already claimed or in use */
#define CAIRN_EEXIST (-17)	 /* already exists */
#define CAIRN_ENODEV (-19)	 /* no such device */
#define CAIRN_ENOTDIR (-20)	 /* path component is not a directory */
#define CAIRN_EISDIR (-21)	 /* is a directory */
#define CAIRN_EINVAL (-22)	 /* invalid argument (bad key, misaligned request...) */
#define CAIRN_EMFILE (-24)	 /* too many open handles for the caller's budget */
#define CAIRN_EFBIG (-27)	 /* value or file too large */
#define CAIRN_ENOSPC (-28)	 /* no space left on the device */
#define CAIRN_EROFS (-30)	 /* device or store is read-only */
#define CAIRN_ERANGE (-34)	 /* request outside the device or object */
#define CAIRN_ENAMETOOLONG (-36) /* key or path longer than its cap */
#define CAIRN_ENOSYS (-38)	 /* not implemented / extension absent */
#define CAIRN_ENOTEMPTY (-39)	 /* directory not empty */
#define CAIRN_ENODATA (-61)	 /* no data available */
#define CAIRN_EBADMSG (-74)	 /* corrupt: checksum, magic or structure invalid */
#define CAIRN_EOVERFLOW (-75)	 /* arithmetic overflow on a size or offset */
#define CAIRN_ENOTSUP (-95)	 /* operation not supported by this device */
#define CAIRN_ETIMEDOUT (-110)	 /* deadline passed */
#define CAIRN_EDQUOT (-122)	 /* a statefs prefix quota (bytes or keys) would be exceeded */
#define CAIRN_ECANCELED (-125)	 /* operation canceled */
#define CAIRN_ESHUTDOWN (-108)	 /* component or device stopped / failed */

/* cairn_strerror: short stable name for an error code ("EIO"), "OK" for 0 and
 * "E?" for an unknown code. Never returns NULL. */
const char *cairn_strerror(int err);

#endif
