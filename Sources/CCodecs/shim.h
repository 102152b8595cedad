#ifndef CCODECS_SHIM_H
#define CCODECS_SHIM_H

#include <stdarg.h>
#include <stddef.h>

/* printf into the caller's message buffer, always NUL-terminated. */
void ccodecs_set_msg(char *msg, size_t msg_cap, const char *fmt, ...);

#endif
