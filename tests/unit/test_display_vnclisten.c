/* [display] vnc = ... parsing and password generation. */
#include "vnc_listen.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

static struct vnc_listen parse_ok(const char *s)
{
	struct vnc_listen l;
	char err[256];
	cr_assert_eq(vnc_listen_parse(s, &l, err, sizeof(err)), 0, "%s: %s", s, err);
	return l;
}

Test(display_vnclisten, forms)
{
	struct vnc_listen l = parse_ok("auto");
	cr_assert(!l.off && l.loopback && l.port == 0);
	cr_assert_eq(ntohl(l.addr.s_addr), INADDR_LOOPBACK);
	l = parse_ok(NULL);
	cr_assert(l.loopback && l.port == 0);
	cr_assert(parse_ok("off").off);
	l = parse_ok("127.0.0.1:5905");
	cr_assert(l.loopback && l.port == 5905);
	l = parse_ok(":5999");
	cr_assert(l.loopback && l.port == 5999);
	l = parse_ok("0.0.0.0:5900");
	cr_assert(!l.loopback);
	l = parse_ok("192.168.1.7");
	cr_assert(!l.loopback && l.port == 0);
	l = parse_ok("127.1.2.3");
	cr_assert(l.loopback);
	l = parse_ok("localhost:6000");
	cr_assert(l.loopback && l.port == 6000);
}

Test(display_vnclisten, bad)
{
	static const char *bad[] = { "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", ":x",
				     "127.0.0.1:59a", "no.such.host.invalid:5900", "1.2.3.4:-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vnc_listen l;
		char err[256] = "";
		cr_assert_lt(vnc_listen_parse(bad[i], &l, err, sizeof(err)), 0, "%s accepted", bad[i]);
		cr_assert_neq(err[0], 0, "message for %s", bad[i]);
	}
	char longhost[400];
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = 0;
	struct vnc_listen l;
	cr_assert_lt(vnc_listen_parse(longhost, &l, NULL, 0), 0);
}

Test(display_vnclisten, password_generate)
{
	char a[9], b[9];
	cr_assert_eq(vnc_password_generate(a, sizeof(a), 8), 0);
	cr_assert_eq(vnc_password_generate(b, sizeof(b), 8), 0);
	cr_assert_eq(strlen(a), 8);
	for (int i = 0; i < 8; i++)
		cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", a[i]));
	cr_assert_str_neq(a, b);
	cr_assert_lt(vnc_password_generate(a, 8, 8), 0, "no room for NUL");
}
