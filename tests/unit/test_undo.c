// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/undo.h"

/* Records the order undo steps ran in. */
struct trace {
	int order[UNDO_MAX * 2];
	int n;
};

struct step {
	struct trace *t;
	int id;
};

static void record(void *ctx)
{
	struct step *s = ctx;

	assert_true(s->t->n < (int)(sizeof(s->t->order) / sizeof(int)));
	s->t->order[s->t->n++] = s->id;
}

static void test_init_empty(void **state)
{
	struct undo u;

	memset(&u, 0x5a, sizeof(u));
	undo_init(&u);
	assert_int_equal(u.n, 0);
	/* Running an empty stack does nothing. */
	undo_run(&u);
	assert_int_equal(u.n, 0);
}

static void test_run_reverse_order(void **state)
{
	struct trace t = { 0 };
	struct step s[4];
	struct undo u;

	undo_init(&u);
	for (int i = 0; i < 4; i++) {
		s[i] = (struct step){ &t, i };
		assert_int_equal(undo_push(&u, record, &s[i]), 0);
	}
	assert_int_equal(u.n, 4);
	undo_run(&u);
	assert_int_equal(t.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(t.order[i], 3 - i);
	/* Run forgets the steps: a second run does nothing. */
	assert_int_equal(u.n, 0);
	undo_run(&u);
	assert_int_equal(t.n, 4);
}

static void test_ctx_passed(void **state)
{
	struct trace t = { 0 };
	struct step a = { &t, 10 }, b = { &t, 20 };
	struct undo u;

	undo_init(&u);
	assert_int_equal(undo_push(&u, record, &a), 0);
	assert_int_equal(undo_push(&u, record, &b), 0);
	/* The same context may be pushed twice; each push is a step. */
	assert_int_equal(undo_push(&u, record, &a), 0);
	undo_run(&u);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.order[0], 10);
	assert_int_equal(t.order[1], 20);
	assert_int_equal(t.order[2], 10);
}

static void test_overflow(void **state)
{
	struct trace t = { 0 };
	struct step s[UNDO_MAX + 1];
	struct undo u;

	undo_init(&u);
	for (int i = 0; i < UNDO_MAX; i++) {
		s[i] = (struct step){ &t, i };
		assert_int_equal(undo_push(&u, record, &s[i]), 0);
	}
	s[UNDO_MAX] = (struct step){ &t, UNDO_MAX };
	assert_int_equal(undo_push(&u, record, &s[UNDO_MAX]), -ENOSPC);
	assert_int_equal(undo_push(&u, record, &s[UNDO_MAX]), -ENOSPC);
	assert_int_equal(u.n, UNDO_MAX);
	/* The refused step is not run; the others all are, newest first. */
	undo_run(&u);
	assert_int_equal(t.n, UNDO_MAX);
	for (int i = 0; i < UNDO_MAX; i++)
		assert_int_equal(t.order[i], UNDO_MAX - 1 - i);
	/* After a run there is room again. */
	assert_int_equal(undo_push(&u, record, &s[0]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_run_reverse_order),
		cmocka_unit_test(test_ctx_passed),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
