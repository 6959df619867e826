/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_LOG_H
#define BRISK_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/*
 * Set the stderr level from BRISK_LOG: a bare err|warn|info|debug (or
 * stderr=LEVEL) among its comma-separated items; default warn. The
 * logFile=, logLevel= and logMaxSize= items are the call log's.
 */
void log_init_from_env(void);
void log_set_level(enum log_level lvl);
/* Write one line to stderr, prefixed with "brisk: ". Never touches stdout. */
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
