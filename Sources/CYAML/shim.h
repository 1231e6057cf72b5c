#ifndef SYNCLEDGER_CYAML_SHIM_H
#define SYNCLEDGER_CYAML_SHIM_H

#include <yaml.h>

#endif
