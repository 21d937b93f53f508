/* statefs key rules: a table of accepted and rejected keys, checked both through
 * statefs_key_check and through put (a rejected key never reaches the disk). */
#include "sfs_testutil.h"

struct key_case {
	const char *key;
	size_t len; /* 0: strlen(key) */
	bool ok;
};

static const struct key_case cases[] = {
	{ "/state/a", 0, true },
	{ "/state/a/b/c", 0, true },
	{ "/state/.hidden", 0, true },
	{ "/state/a..b", 0, true },
	{ "/state/caf\xc3\xa9", 0, true },	/* U+00E9 */
	{ "/state/\xe2\x82\xac", 0, true },	/* U+20AC */
	{ "/state/\xf0\x9f\x98\x80", 0, true }, /* U+1F600 */
	{ "/state/\xf4\x8f\xbf\xbf", 0, true }, /* U+10FFFF */
	{ "", 0, false },
	{ "/state", 0, false },
	{ "/state/", 0, false },
	{ "state/a", 0, false },
	{ "/State/a", 0, false },
	{ "/other/a", 0, false },
	{ "/state//a", 0, false },
	{ "/state/a//b", 0, false },
	{ "/state/a/", 0, false },
	{ "/state/.", 0, false },
	{ "/state/..", 0, false },
	{ "/state/a/./b", 0, false },
	{ "/state/a/../b", 0, false },
	{ "/state/a/..", 0, false },
	{ "/state/a\0b", 9, false },		 /* embedded NUL */
	{ "/state/\xc0\xaf", 0, false },	 /* overlong '/' */
	{ "/state/\xe0\x80\xaf", 0, false },	 /* overlong 3-byte */
	{ "/state/\xf0\x80\x80\xaf", 0, false }, /* overlong 4-byte */
	{ "/state/\xed\xa0\x80", 0, false },	 /* surrogate U+D800 */
	{ "/state/\xed\xbf\xbf", 0, false },	 /* surrogate U+DFFF */
	{ "/state/\xf4\x90\x80\x80", 0, false }, /* U+110000 */
	{ "/state/\xf5\x80\x80\x80", 0, false }, /* F5 lead */
	{ "/state/\xff", 0, false },
	{ "/state/\x80", 0, false }, /* lone continuation */
	{ "/state/\xc3", 0, false }, /* truncated sequence */
	{ "/state/\xe2\x82", 0, false },
	/* control characters (issue 13 finding 8): C0, DEL and C1 are refused so a
	 * key can never forge a console or audit line */
	{ "/state/a\nSELFTEST: ok", 0, false }, /* LF */
	{ "/state/\x1b[2J", 0, false },		/* ESC */
	{ "/state/a\rb", 0, false },		/* CR */
	{ "/state/\x01", 0, false },		/* first C0 after NUL */
	{ "/state/a\x1f", 0, false },		/* last C0 */
	{ "/state/a\tb", 0, false },		/* TAB */
	{ "/state/a\x7f", 0, false },		/* DEL */
	{ "/state/\xc2\x80", 0, false },	/* U+0080, first C1 */
	{ "/state/\xc2\x85", 0, false },	/* U+0085 NEL */
	{ "/state/\xc2\x9b", 0, false },	/* U+009B CSI */
	{ "/state/\xc2\x9f", 0, false },	/* U+009F, last C1 */
	{ "/state/\xc2\xa0", 0, true },		/* U+00A0: first after C1 */
	{ "/state/a b~", 0, true },		/* space and tilde are printable */
};

/* test_statefs_key_table: every case through key_check and put. */
START_TEST(test_statefs_key_table)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(statefs_sync(fs), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct key_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->key);
		int want = c->ok ? 0 : CAIRN_EINVAL;
		ck_assert_msg(statefs_key_check(c->key, len) == want, "case %zu", i);
		if (c->len)
			continue; /* embedded NUL: the C-string API cannot even express it */
		uint64_t writes = m.writes;
		int r = put_str(fs, c->key, "v");
		ck_assert_msg(r == want, "put case %zu: %d", i, r);
		ck_assert_int_eq(statefs_sync(fs), 0);
		if (!c->ok)
			ck_assert_msg(m.writes == writes, "rejected key %zu reached the disk", i);
		ck_assert_int_eq(statefs_size(fs, c->key), c->ok ? 1 : CAIRN_EINVAL);
	}
	ck_assert_int_eq(statefs_unmount(fs), 0);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_key_length_cap: 255 bytes accepted, 256 rejected. */
START_TEST(test_statefs_key_length_cap)
{
	char key[STATEFS_KEY_MAX + 2];
	memset(key, 'k', sizeof(key));
	memcpy(key, "/state/", 7);
	key[STATEFS_KEY_MAX] = '\0';
	ck_assert_int_eq(statefs_key_check(key, STATEFS_KEY_MAX), 0);
	key[STATEFS_KEY_MAX] = 'k';
	key[STATEFS_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(statefs_key_check(key, STATEFS_KEY_MAX + 1), CAIRN_EINVAL);
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(put_str(fs, key, "v"), CAIRN_EINVAL);
	key[STATEFS_KEY_MAX] = '\0';
	ck_assert_int_eq(put_str(fs, key, "v"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_dev(&m.dev, 0, NULL);
	expect_str(fs, key, "v");
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_prefix_check: list prefixes are "/state/" or a canonical key plus
 * exactly one '/' (the rule the component applies before its policy lookup). */
START_TEST(test_statefs_prefix_check)
{
	static const struct key_case pcases[] = {
		{ "/state/", 0, true },
		{ "/state/boot/", 0, true },
		{ "/state/a/b/", 0, true },
		{ "/state/boot", 0, false },
		{ "/state/boot//", 0, false },
		{ "/state//", 0, false },
		{ "/state/../", 0, false },
		{ "/state/a/./", 0, false },
		{ "/", 0, false },
		{ "", 0, false },
		{ "/state", 0, false },
		{ "/other/", 0, false },
		{ "/state/a\0/", 10, false },
		{ "/state/\x1b/", 0, false },
	};
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct key_case *c = &pcases[i];
		size_t len = c->len ? c->len : strlen(c->key);
		ck_assert_msg(statefs_prefix_check(c->key, len) == (c->ok ? 0 : CAIRN_EINVAL),
			      "prefix case %zu", i);
	}
	ck_assert_int_eq(statefs_prefix_check(NULL, 0), CAIRN_EINVAL);
}
END_TEST

/* key_suite: the test cases of this file. */
static Suite *key_suite(void)
{
	Suite *s = suite_create("statefs_key");
	TCase *tc = tcase_create("key");
	tcase_add_test(tc, test_statefs_key_table);
	tcase_add_test(tc, test_statefs_key_length_cap);
	tcase_add_test(tc, test_statefs_prefix_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(key_suite()); }
