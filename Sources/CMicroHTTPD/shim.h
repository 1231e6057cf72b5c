#ifndef SYNCLEDGER_CMICROHTTPD_SHIM_H
#define SYNCLEDGER_CMICROHTTPD_SHIM_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

#endif
