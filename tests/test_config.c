/* SPDX-License-Identifier: MIT */
/* config/: every accepted spelling, every refused token and its message. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "me_config.h"

static char diag_text[8192];
static int diag_lines;

static void capture(void *ctx, const char *line)
{
    (void)ctx;
    strncat(diag_text, line, sizeof diag_text - strlen(diag_text) - 2);
    strcat(diag_text, "\n");
    diag_lines++;
}

static void reset(void)
{
    diag_text[0] = '\0';
    diag_lines = 0;
}

static me_sigmask parse(const char *v)
{
    reset();
    return me_parse_signals(v, capture, NULL);
}

#define DEFAULT (ME_SIGBIT(SIGTERM) | ME_SIGBIT(SIGINT))

START_TEST(signal_spellings)
{
    static const struct {
        const char *tok;
        int sig;
    } ok[] = {
        {"TERM", SIGTERM}, {"term", SIGTERM},   {"SIGTERM", SIGTERM}, {"sigterm", SIGTERM},
        {"SigHup", SIGHUP}, {"15", SIGTERM},    {"1", SIGHUP},        {"INT", SIGINT},
        {"QUIT", SIGQUIT}, {"ABRT", SIGABRT},   {"IOT", SIGABRT},     {"USR1", SIGUSR1},
        {"usr2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},    {"CHLD", SIGCHLD},
        {"CLD", SIGCHLD},  {"WINCH", SIGWINCH}, {"PWR", SIGPWR},      {"SYS", SIGSYS},
        {"RTMIN", 34},     {"rtmin+1", 35},     {"RTMIN+30", 64},     {"RTMAX", 64},
        {"SIGRTMAX-2", 62}, {"RTMAX-30", 34},   {"34", 34},           {"64", 64},
        {"XCPU", SIGXCPU}, {"SEGV", SIGSEGV},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *why = NULL;
        int sig = me_parse_signal_token(ok[i].tok, strlen(ok[i].tok), &why);
        ck_assert_msg(sig == ok[i].sig, "%s -> %d (%s), want %d", ok[i].tok, sig,
                      why ? why : "", ok[i].sig);
    }
}
END_TEST

START_TEST(refused_tokens_and_reasons)
{
    static const struct {
        const char *tok;
        const char *why;
    } bad[] = {
        {"KILL", "cannot be caught"},      {"SIGSTOP", "cannot be caught"},
        {"9", "cannot be caught"},         {"19", "cannot be caught"},
        {"32", "reserved by the C library"}, {"33", "reserved by the C library"},
        {"0", "no such signal"},           {"65", "no such signal"},
        {"99", "no such signal"},          {"99999999999999", "no such signal"},
        {"BOGUS", "unknown signal"},       {"SIG", "unknown signal"},
        {"15x", "unknown signal"},         {"TERMINATE", "unknown signal"},
        {"RTMIN+31", "outside the real-time range"}, {"RTMAX-31", "outside the real-time range"},
        {"RTMIN-1", "expected RTMIN+N"},   {"RTMAX+1", "expected RTMAX-N"},
        {"RTMIN+", "expected RTMIN+N"},    {"RTMIN+x", "expected RTMIN+N"},
        {"-1", "unknown signal"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        int sig = me_parse_signal_token(bad[i].tok, strlen(bad[i].tok), &why);
        ck_assert_msg(sig == -1, "%s accepted as %d", bad[i].tok, sig);
        ck_assert_msg(why && strstr(why, bad[i].why), "%s: reason '%s', want '%s'", bad[i].tok,
                      why ? why : "(null)", bad[i].why);
    }
}
END_TEST

START_TEST(lists_and_separators)
{
    ck_assert_uint_eq(parse(NULL), DEFAULT);
    ck_assert_uint_eq(parse(""), DEFAULT);
    ck_assert_uint_eq(parse("  , ,"), DEFAULT);
    ck_assert_int_eq(diag_lines, 0);
    ck_assert_uint_eq(parse("none"), 0);
    ck_assert_uint_eq(parse("NONE"), 0);
    ck_assert_uint_eq(parse("HUP"), ME_SIGBIT(SIGHUP));
    ck_assert_uint_eq(parse("term,int hup\tquit"),
                      ME_SIGBIT(SIGTERM) | ME_SIGBIT(SIGINT) | ME_SIGBIT(SIGHUP) |
                          ME_SIGBIT(SIGQUIT));
    ck_assert_uint_eq(parse("TERM,TERM,15"), ME_SIGBIT(SIGTERM));
    ck_assert_uint_eq(parse("RTMIN+1,RTMAX"), ME_SIGBIT(35) | ME_SIGBIT(64));
    ck_assert_int_eq(diag_lines, 0);
}
END_TEST

START_TEST(bad_tokens_one_line_each_rest_applies)
{
    ck_assert_uint_eq(parse("TERM,BOGUS,KILL,99"), ME_SIGBIT(SIGTERM));
    ck_assert_int_eq(diag_lines, 3);
    ck_assert_str_eq(diag_text,
                     "multiexit: MULTIEXIT_SIGNALS: ignoring 'BOGUS': unknown signal\n"
                     "multiexit: MULTIEXIT_SIGNALS: ignoring 'KILL': cannot be caught\n"
                     "multiexit: MULTIEXIT_SIGNALS: ignoring '99': no such signal (valid: 1-64)\n");
    /* all bad: nothing valid is left, nothing is managed */
    ck_assert_uint_eq(parse("BOGUS"), 0);
    ck_assert_int_eq(diag_lines, 1);
}
END_TEST

/* "none" means no signal at all: with signals beside it the value says two
 * things, so 'none' is refused in one line (not silently dropped). */
START_TEST(none_with_signals_is_bad)
{
    ck_assert_uint_eq(parse("none,TERM"), ME_SIGBIT(SIGTERM));
    ck_assert_str_eq(diag_text, "multiexit: MULTIEXIT_SIGNALS: ignoring 'none': cannot be "
                                "combined with signals\n");
    ck_assert_uint_eq(parse("HUP none NONE"), ME_SIGBIT(SIGHUP));
    ck_assert_int_eq(diag_lines, 1);
    ck_assert_uint_eq(parse("none,none"), 0);
    ck_assert_int_eq(diag_lines, 0);
}
END_TEST

START_TEST(huge_and_hostile_values)
{
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    memset(big, 'A', n);
    big[n] = '\0';
    ck_assert_uint_eq(parse(big), 0);
    ck_assert_int_eq(diag_lines, 1);
    ck_assert(strlen(diag_text) < 200); /* the token is cut in the message */
    n -= n % 5; /* whole "TERM," tokens */
    big[n] = '\0';
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 5 == 4) ? ',' : "TERM"[i % 5];
    ck_assert_uint_eq(parse(big), ME_SIGBIT(SIGTERM));
    ck_assert_int_eq(diag_lines, 0);
    free(big);
    ck_assert_uint_eq(parse("\x01\x02\xff,TERM"), ME_SIGBIT(SIGTERM));
    ck_assert_int_eq(diag_lines, 1);
    ck_assert_uint_eq(parse("'%s%n'"), 0);
    ck_assert_int_eq(diag_lines, 1);
}
END_TEST

static uint32_t timeout(const char *v)
{
    reset();
    return me_parse_timeout(v, capture, NULL);
}

START_TEST(timeout_values)
{
    ck_assert_uint_eq(timeout(NULL), ME_DEFAULT_TIMEOUT_MS);
    ck_assert_uint_eq(timeout(""), ME_DEFAULT_TIMEOUT_MS);
    ck_assert_uint_eq(timeout("0"), 0);
    ck_assert_uint_eq(timeout("1"), 1000);
    ck_assert_uint_eq(timeout("2.5"), 2500);
    ck_assert_uint_eq(timeout("0.001"), 1);
    ck_assert_uint_eq(timeout("86400"), 86400000);
    ck_assert_int_eq(diag_lines, 0);
    static const char *const bad[] = {"-1", "abc", "1.", ".5", "1.2345", "86401", "1e3",
                                      "99999999999999999999999", " 5", "5s", "1..2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(timeout(bad[i]) == ME_DEFAULT_TIMEOUT_MS, "%s accepted", bad[i]);
        ck_assert_msg(diag_lines == 1, "%s: %d lines", bad[i], diag_lines);
        ck_assert(strncmp(diag_text, "multiexit: MULTIEXIT_TIMEOUT: ignoring '", 40) == 0);
    }
}
END_TEST

START_TEST(switches)
{
    ck_assert(!me_parse_verbose(NULL));
    ck_assert(!me_parse_verbose(""));
    ck_assert(!me_parse_verbose("0"));
    ck_assert(!me_parse_verbose("off"));
    ck_assert(!me_parse_verbose("No"));
    ck_assert(me_parse_verbose("1"));
    ck_assert(me_parse_verbose("yes"));
    reset();
    ck_assert_int_eq(me_parse_inherit(NULL, capture, NULL), ME_INHERIT_PRIVATE);
    ck_assert_int_eq(me_parse_inherit("shared", capture, NULL), ME_INHERIT_SHARED);
    ck_assert_int_eq(me_parse_inherit("PRIVATE", capture, NULL), ME_INHERIT_PRIVATE);
    ck_assert_int_eq(diag_lines, 0);
    ck_assert_int_eq(me_parse_inherit("both", capture, NULL), ME_INHERIT_PRIVATE);
    ck_assert_int_eq(diag_lines, 1);
    reset();
    ck_assert(!me_parse_child_sigint(NULL, capture, NULL));
    ck_assert(me_parse_child_sigint("ignore", capture, NULL));
    ck_assert(!me_parse_child_sigint("default", capture, NULL));
    ck_assert_int_eq(diag_lines, 0);
    ck_assert(!me_parse_child_sigint("maybe", capture, NULL));
    ck_assert_int_eq(diag_lines, 1);
    reset();
    ck_assert(me_parse_chain(NULL, capture, NULL));
    ck_assert(me_parse_chain("", capture, NULL));
    ck_assert(me_parse_chain("on", capture, NULL));
    ck_assert(me_parse_chain("Yes", capture, NULL));
    ck_assert(!me_parse_chain("off", capture, NULL));
    ck_assert(!me_parse_chain("0", capture, NULL));
    ck_assert(!me_parse_chain("FALSE", capture, NULL));
    ck_assert_int_eq(diag_lines, 0);
    ck_assert(me_parse_chain("sometimes", capture, NULL));
    ck_assert_int_eq(diag_lines, 1);
    ck_assert_msg(strstr(diag_text, "multiexit: MULTIEXIT_CHAIN: ignoring 'sometimes'") != NULL, "%s", diag_text);
    reset();
    ck_assert(me_parse_python(NULL, capture, NULL));
    ck_assert(me_parse_python("ON", capture, NULL));
    ck_assert(!me_parse_python("off", capture, NULL));
    ck_assert(!me_parse_python("no", capture, NULL));
    ck_assert_int_eq(diag_lines, 0);
    ck_assert(me_parse_python("later", capture, NULL));
    ck_assert_int_eq(diag_lines, 1);
    ck_assert_msg(strstr(diag_text, "multiexit: MULTIEXIT_PYTHON: ignoring 'later'") != NULL, "%s", diag_text);
    struct me_config d;
    me_config_defaults(&d);
    ck_assert(d.python);
}
END_TEST

static const char *fake_env_value;
static const char *fake_get(const char *name)
{
    return strcmp(name, "MULTIEXIT_SIGNALS") == 0 ? fake_env_value : NULL;
}
static const char *null_get(const char *name)
{
    (void)name;
    return NULL; /* what secure_getenv returns in a setuid program */
}

START_TEST(load_whole_config)
{
    struct me_config c;
    reset();
    fake_env_value = "HUP";
    me_config_load(&c, fake_get, capture, NULL);
    ck_assert_uint_eq(c.signals, ME_SIGBIT(SIGHUP));
    ck_assert_uint_eq(c.timeout_ms, ME_DEFAULT_TIMEOUT_MS);
    me_config_load(&c, null_get, capture, NULL);
    ck_assert_uint_eq(c.signals, DEFAULT);
    ck_assert(!c.verbose);
    ck_assert_int_eq(diag_lines, 0);
}
END_TEST

START_TEST(names_and_defaults)
{
    char b[32];
    me_signal_name(SIGTERM, b, sizeof b);
    ck_assert_str_eq(b, "SIGTERM");
    me_signal_name(SIGABRT, b, sizeof b);
    ck_assert_str_eq(b, "SIGABRT");
    me_signal_name(34, b, sizeof b);
    ck_assert_str_eq(b, "SIGRTMIN");
    me_signal_name(36, b, sizeof b);
    ck_assert_str_eq(b, "SIGRTMIN+2");
    me_signal_name(64, b, sizeof b);
    ck_assert_str_eq(b, "SIGRTMAX");
    me_signal_name(60, b, sizeof b);
    ck_assert_str_eq(b, "SIGRTMAX-4");
    me_signal_name(32, b, sizeof b);
    ck_assert_str_eq(b, "signal 32");
    char l[64];
    me_signal_list(ME_SIGBIT(SIGTERM) | ME_SIGBIT(SIGINT) | ME_SIGBIT(36), l, sizeof l);
    ck_assert_str_eq(l, "SIGINT,SIGTERM,SIGRTMIN+2");
    me_signal_list(0, l, sizeof l);
    ck_assert_str_eq(l, "none");
    me_signal_list(ME_SIGBIT(SIGHUP) | ME_SIGBIT(SIGTERM), l, 8); /* cut, still terminated */
    ck_assert_str_eq(l, "SIGHUP,");
    ck_assert(me_default_terminates(SIGTERM));
    ck_assert(me_default_terminates(SIGUSR1));
    ck_assert(me_default_terminates(40));
    ck_assert(!me_default_terminates(SIGCHLD));
    ck_assert(!me_default_terminates(SIGTSTP));
    ck_assert(!me_default_terminates(SIGWINCH));
    ck_assert(me_default_stops(SIGTSTP) && me_default_stops(SIGTTIN) && me_default_stops(SIGTTOU));
    ck_assert(!me_default_stops(SIGTERM) && !me_default_stops(SIGCHLD) && !me_default_stops(SIGCONT));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parsing");
    me_add_test(tc, signal_spellings);
    me_add_test(tc, refused_tokens_and_reasons);
    me_add_test(tc, lists_and_separators);
    me_add_test(tc, bad_tokens_one_line_each_rest_applies);
    me_add_test(tc, none_with_signals_is_bad);
    me_add_test(tc, huge_and_hostile_values);
    me_add_test(tc, timeout_values);
    me_add_test(tc, switches);
    me_add_test(tc, load_whole_config);
    me_add_test(tc, names_and_defaults);
    suite_add_tcase(s, tc);
    return run_suite(s, true);
}
