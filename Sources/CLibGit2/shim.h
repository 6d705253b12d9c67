#ifndef SERIN_CLIBGIT2_SHIM_H
#define SERIN_CLIBGIT2_SHIM_H
#include <git2.h>
#endif
