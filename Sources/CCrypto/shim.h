#ifndef SYNCLEDGER_CCRYPTO_SHIM_H
#define SYNCLEDGER_CCRYPTO_SHIM_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#endif
