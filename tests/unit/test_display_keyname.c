/* sendkey names: parsing and the set-2 bytes of a combination. */
#include <criterion/criterion.h>
#include <errno.h>

#include "keyname.h"

Test(keyname, parse)
{
	uint32_t k[8];
	cr_assert_eq(keyname_parse("ctrl-alt-delete", k, 8), 3);
	cr_expect_eq(k[0], 0xffe3);
	cr_expect_eq(k[1], 0xffe9);
	cr_expect_eq(k[2], 0xffff);
	cr_assert_eq(keyname_parse("A", k, 8), 1);
	cr_expect_eq(k[0], 'a');
	cr_assert_eq(keyname_parse("f12", k, 8), 1);
	cr_expect_eq(k[0], 0xffc9);
	cr_assert_eq(keyname_parse("ret", k, 8), 1);
	cr_expect_eq(k[0], 0xff0d);
	cr_expect_eq(keyname_parse("", k, 8), -EINVAL);
	cr_expect_eq(keyname_parse("ctrl-", k, 8), -EINVAL);
	cr_expect_eq(keyname_parse("-a", k, 8), -EINVAL);
	cr_expect_eq(keyname_parse("nosuchkey", k, 8), -EINVAL);
	cr_expect_eq(keyname_parse("f13", k, 8), -EINVAL);
	cr_expect_eq(keyname_parse("a-b-c-d-e-f-g-h-i", k, 8), -EINVAL);
}

Test(keyname, combo_set2)
{
	uint8_t b[64];
	/* 'a' is set-2 0x1C: make, then F0 1C break. */
	cr_assert_eq(keyname_combo_set2("a", b, sizeof(b)), 3);
	cr_expect_eq(b[0], 0x1c);
	cr_expect_eq(b[1], 0xf0);
	cr_expect_eq(b[2], 0x1c);
	/* shift-a: 12 1C F0 1C F0 12 (released in reverse order) */
	cr_assert_eq(keyname_combo_set2("shift-a", b, sizeof(b)), 6);
	cr_expect_eq(b[0], 0x12);
	cr_expect_eq(b[1], 0x1c);
	cr_expect_eq(b[2], 0xf0);
	cr_expect_eq(b[3], 0x1c);
	cr_expect_eq(b[4], 0xf0);
	cr_expect_eq(b[5], 0x12);
	cr_expect_lt(keyname_combo_set2("bogus", b, sizeof(b)), 0);
	cr_expect_lt(keyname_combo_set2("ctrl-alt-delete", b, 4), 0);
}
