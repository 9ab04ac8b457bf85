/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for glibc's internal pthreadP.h.  tst-robust8 includes it, but
 * only reads pthread_mutex_t's __data.__nusers, a field of the installed
 * <bits/struct_mutex.h>, in a diagnostic under __PTHREAD_NPTL; defining
 * that keeps the diagnostic.  Nothing else of glibc's internals is used. */
#include <pthread.h>
#define __PTHREAD_NPTL 1
