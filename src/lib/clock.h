/*
 * The monotonic clock in milliseconds: timers, deadlines and pacing that
 * must not jump with the wall clock.
 */
#ifndef OPENCME_LIB_CLOCK_H
#define OPENCME_LIB_CLOCK_H

#include <stdint.h>

uint64_t clock_mono_ms(void);

#endif
