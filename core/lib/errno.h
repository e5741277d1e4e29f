/*
 * Error numbers. Functions return 0 or a negative errno. The values and
 * spellings match Linux, so a hosted test may include <errno.h> as well.
 */
#ifndef CORE_ERRNO_H
#define CORE_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EIO 5
#define E2BIG 7
#define ENOEXEC 8
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define EOVERFLOW 75
#define ENOTSUP 95
#define ETIMEDOUT 110
#define ECANCELED 125

const char *errno_name(int err);

#endif
