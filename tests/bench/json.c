// SPDX-License-Identifier: GPL-2.0
/* The benchmark's JSON writer (json.h). */
#include <stdbool.h>
#include <stdio.h>
#include "json.h"

#define JSON_DEPTH	4

/* Per open object: whether a member was written (the next needs a comma). */
static bool json_any[JSON_DEPTH];
static int json_depth = -1;

static void json_quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The separator and the key of a new member of the object open. */
static void json_key(const char *k)
{
	if (json_depth >= 0 && json_any[json_depth])
		putchar(',');
	if (json_depth >= 0)
		json_any[json_depth] = true;
	json_quoted(k);
	putchar(':');
}

static void json_open(void)
{
	putchar('{');
	if (json_depth + 1 < JSON_DEPTH)
		json_any[++json_depth] = false;
}

void json_begin(void)
{
	json_depth = -1;
	json_open();
}

void json_end(void)
{
	printf("}\n");
	json_depth = -1;
	fflush(stdout);
}

void json_str(const char *k, const char *v)
{
	json_key(k);
	json_quoted(v);
}

void json_int(const char *k, long long v)
{
	json_key(k);
	printf("%lld", v);
}

void json_num(const char *k, const char *fmt, double v)
{
	json_key(k);
	printf(fmt, v);
}

void json_hex32(const char *k, uint32_t v)
{
	json_key(k);
	printf("\"0x%08x\"", v);
}

void json_array(const char *k, const char *fmt, const double *v, int n)
{
	json_key(k);
	putchar('[');
	for (int i = 0; i < n; i++) {
		if (i)
			putchar(',');
		printf(fmt, v[i]);
	}
	putchar(']');
}

void json_obj(const char *k)
{
	json_key(k);
	json_open();
}

void json_obj_end(void)
{
	putchar('}');
	if (json_depth > 0)
		json_depth--;
}
