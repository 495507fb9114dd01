/* SPDX-License-Identifier: MIT */
/* The multiexit command: exit codes, exec, LD_PRELOAD, library lookup. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define T 20.0

static const char *wrapper(void) { return ME_WRAPPER_PATH; }

/* Runs the wrapper with argv (NULL-terminated), stdin closed. */
static void run(struct proc *p, const char *const *env, char *const argv[])
{
    proc_spawnv(p, false, env, argv);
    proc_close_stdin(p);
    proc_finish(p, T);
}

#define RUN(p, env, ...)                                                                        \
    do {                                                                                       \
        char *const argv_[] = {(char *)wrapper(), __VA_ARGS__, NULL};                          \
        run(p, env, argv_);                                                                    \
    } while (0)

START_TEST(exit_codes)
{
    struct proc p;
    RUN(&p, NULL, "--", "/bin/true");
    ck_assert_msg(exited_with(&p, 0), "true: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "/bin/false");
    ck_assert_msg(exited_with(&p, 1), "false: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "sh", "-c", "exit 42");
    ck_assert_msg(exited_with(&p, 42), "exit 42: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "--no-such-option", "true");
    ck_assert_msg(exited_with(&p, 125), "bad option: %s", status_str(&p));
    ck_assert_int_eq(count_of(p.err_buf, "\n"), 1);
    ck_assert_int_eq(count_of(p.err_buf, "multiexit: unknown option '--no-such-option'"), 1);
    proc_free(&p);
    RUN(&p, NULL, "--signals=TERM,BOGUS", "true");
    ck_assert_msg(exited_with(&p, 125), "bad signals: %s", status_str(&p));
    ck_assert_str_eq(p.err_buf, "multiexit: --signals: 'BOGUS': unknown signal\n");
    proc_free(&p);
    RUN(&p, NULL, "-t", "soon", "true");
    ck_assert_msg(exited_with(&p, 125), "bad timeout: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "-t");
    ck_assert_msg(exited_with(&p, 125), "missing value: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "-v");
    ck_assert_msg(exited_with(&p, 125), "no command: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "--", "/nonexistent/command");
    ck_assert_msg(exited_with(&p, 127), "missing: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "no-such-command-anywhere");
    ck_assert_msg(exited_with(&p, 127), "not in PATH: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "/etc/passwd");
    ck_assert_msg(exited_with(&p, 126), "not executable: %s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "--help");
    ck_assert_msg(exited_with(&p, 0), "help: %s", status_str(&p));
    ck_assert_int_eq(count_of(p.out_buf, "Usage: multiexit"), 1);
    proc_free(&p);
    RUN(&p, NULL, "--version");
    ck_assert_msg(exited_with(&p, 0), "version: %s", status_str(&p));
    ck_assert_int_eq(count_of(p.out_buf, "multiexit 0.1.0\n"), 1);
    proc_free(&p);
}
END_TEST

START_TEST(options_after_the_command_are_the_commands)
{
    struct proc p;
    RUN(&p, NULL, "sh", "-c", "printf '%s|' \"$@\"", "x", "-v", "--signals=bogus", "--");
    ck_assert_msg(exited_with(&p, 0), "%s", status_str(&p));
    ck_assert_str_eq(p.out_buf, "-v|--signals=bogus|--|");
    proc_free(&p);
    RUN(&p, NULL, "-s", "hup", "-t", "2.5", "--shared", "--child-ignore-int", "--no-chain", "-v",
        "--", "sh", "-c",
        "echo $MULTIEXIT_SIGNALS $MULTIEXIT_TIMEOUT $MULTIEXIT_INHERIT "
        "$MULTIEXIT_CHILD_SIGINT $MULTIEXIT_CHAIN $MULTIEXIT_VERBOSE");
    ck_assert_str_eq(p.out_buf, "hup 2.5 shared ignore off 1\n");
    proc_free(&p);
}
END_TEST

START_TEST(execs_and_signal_death_passes_through)
{
    struct proc p;
    char line[64];
    char *const argv[] = {(char *)wrapper(), "--", (char *)prog_path("exitfns"), "wait", NULL};
    proc_spawnv(&p, false, NULL, argv);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    proc_kill(&p, SIGTERM); /* the pid we started is the program's: exec, no fork */
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_int_eq(count_of(p.out_buf, "atexit 1\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "on_exit status=143"), 1);
    proc_free(&p);
}
END_TEST

START_TEST(existing_preload_is_kept)
{
    char other[1024];
    snprintf(other, sizeof other, "LD_PRELOAD=%s", prog_path("libother_preload.so"));
    const char *const env[] = {other, NULL};
    struct proc p;
    char line[64];
    char *const argv[] = {(char *)wrapper(), (char *)prog_path("exitfns"), "wait", NULL};
    proc_spawnv(&p, false, env, argv);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    /* once in the wrapper process (it is dynamically linked too), once in
     * the program it exec'd */
    ck_assert_int_eq(count_of(p.err_buf, "other preload loaded\n"), 2);
    ck_assert_int_eq(count_of(p.out_buf, "atexit 1\n"), 1);
    proc_free(&p);
    RUN(&p, env, "sh", "-c", "echo \"$LD_PRELOAD\"");
    char want[2048];
    snprintf(want, sizeof want, "%s:%s\n", shim_path(), prog_path("libother_preload.so"));
    /* the shim's SONAME path in the build tree, then what was there */
    char *colon = strchr(p.out_buf, ':');
    ck_assert_ptr_nonnull(colon);
    ck_assert_str_eq(colon + 1, strchr(want, ':') + 1);
    ck_assert_int_eq(count_of(p.out_buf, "/libmultiexit.so.0:"), 1);
    proc_free(&p);
}
END_TEST

START_TEST(library_lookup_never_uses_the_current_directory)
{
    char dir[] = "/tmp/me-cwd-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char bogus[256], cmd[512];
    snprintf(bogus, sizeof bogus, "%s/libmultiexit.so.0", dir);
    FILE *f = fopen(bogus, "w");
    fputs("not a library", f);
    fclose(f);
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    struct proc p;
    RUN(&p, NULL, "sh", "-c", "echo \"$LD_PRELOAD\"");
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_msg(exited_with(&p, 0), "%s: %s", status_str(&p), p.err_buf);
    ck_assert_int_eq(count_of(p.out_buf, dir), 0);
    ck_assert_str_eq(p.err_buf, "");
    proc_free(&p);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(installed_prefix_finds_its_own_library)
{
    char dir[] = "/tmp/me-prefix-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cmake --install %s --prefix %s >/dev/null", ME_BUILD_DIR, dir);
    ck_assert_int_eq(system(cmd), 0);
    char installed[512];
    snprintf(installed, sizeof installed, "%s/bin/multiexit", dir);
    struct proc p;
    char *const argv[] = {installed, "sh", "-c", "echo \"$LD_PRELOAD\"", NULL};
    run(&p, NULL, argv);
    ck_assert_msg(exited_with(&p, 0), "%s: %s", status_str(&p), p.err_buf);
    char want[1024];
    snprintf(want, sizeof want, "%s/%s/libmultiexit.so.0\n", dir, ME_INSTALL_LIBDIR);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(static_binary_warning)
{
    struct proc p;
    RUN(&p, NULL, (char *)prog_path("static_prog"));
    ck_assert_msg(exited_with(&p, 0), "%s", status_str(&p));
    ck_assert_str_eq(p.out_buf, "static program ran\n");
    ck_assert_int_eq(count_of(p.err_buf, "is statically linked: the shim cannot be loaded"), 1);
    proc_free(&p);
    /* static-pie: a dynamic section but no loader, the same warning */
    RUN(&p, NULL, (char *)prog_path("static_pie_prog"));
    ck_assert_msg(exited_with(&p, 0), "%s", status_str(&p));
    ck_assert_str_eq(p.out_buf, "static program ran\n");
    char want[1024];
    snprintf(want, sizeof want, "multiexit: warning: %s is statically linked: the shim cannot be "
             "loaded into it; running it anyway\n", prog_path("static_pie_prog"));
    ck_assert_str_eq(p.err_buf, want);
    proc_free(&p);
    RUN(&p, NULL, "--check", (char *)prog_path("static_pie_prog"));
    ck_assert_msg(exited_with(&p, 1), "%s", status_str(&p));
    ck_assert_int_eq(count_of(p.out_buf, ": cannot load: statically linked"), 1);
    proc_free(&p);
    RUN(&p, NULL, (char *)prog_path("exitfns"), "exit");
    ck_assert_str_eq(p.err_buf, ""); /* no warning for a dynamic program */
    proc_free(&p);
}
END_TEST

/* multiexit --check PROGRAM: runs nothing of PROGRAM; exit 0 when the
 * library loads and manages it, 1 when it cannot be loaded, 2 when it is
 * privileged (left alone). */
START_TEST(check_tells_what_the_library_would_do)
{
    struct proc p;
    char want[4096];
    /* an ordinary dynamic program: loaded, initialised, the defaults */
    RUN(&p, NULL, "--check", (char *)prog_path("exitfns"));
    ck_assert_msg(exited_with(&p, 0), "%s: %s", status_str(&p), p.err_buf);
    snprintf(want, sizeof want, "%s: loads and initialises: managed signals SIGINT,SIGTERM (",
             prog_path("exitfns"));
    ck_assert_msg(strncmp(p.out_buf, want, strlen(want)) == 0, "%s", p.out_buf);
    ck_assert_int_eq(count_of(p.out_buf, "\n"), 1); /* nothing of the program's own output */
    ck_assert_int_eq(count_of(p.out_buf, "/libmultiexit.so.0, version 0.1.0)\n"), 1);
    ck_assert_str_eq(p.err_buf, "");
    proc_free(&p);
    /* the environment's and the options' signals, and the library's own diagnostics */
    static const char *const env[] = {"MULTIEXIT_SIGNALS=bogus,hup", NULL};
    RUN(&p, env, "--check", "true");
    ck_assert_msg(exited_with(&p, 0), "%s", status_str(&p));
    ck_assert_int_eq(count_of(p.out_buf, ": loads and initialises: managed signals SIGHUP ("), 1);
    ck_assert_str_eq(p.err_buf, "multiexit: MULTIEXIT_SIGNALS: ignoring 'bogus': unknown signal\n");
    proc_free(&p);
    RUN(&p, NULL, "-s", "none", "--check", "true");
    ck_assert_int_eq(count_of(p.out_buf, "managed signals none ("), 1);
    proc_free(&p);
    /* statically linked: cannot be loaded */
    RUN(&p, NULL, "--check", (char *)prog_path("static_prog"));
    ck_assert_msg(exited_with(&p, 1), "%s", status_str(&p));
    ck_assert_int_eq(count_of(p.out_buf, ": cannot load: statically linked"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "static program ran"), 0);
    proc_free(&p);
    /* not a program, not found, --check with a command */
    RUN(&p, NULL, "--check", "/etc/passwd");
    ck_assert_msg(exited_with(&p, 1), "%s", status_str(&p));
    ck_assert_str_eq(p.out_buf, "/etc/passwd: cannot load: not an executable file\n");
    proc_free(&p);
    RUN(&p, NULL, "--check", "/nonexistent/program");
    ck_assert_msg(exited_with(&p, 127), "%s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "--check", "true", "false");
    ck_assert_msg(exited_with(&p, 125), "%s", status_str(&p));
    proc_free(&p);
    RUN(&p, NULL, "--check");
    ck_assert_msg(exited_with(&p, 125), "%s", status_str(&p));
    proc_free(&p);

    char dir[] = "/tmp/me-check-XXXXXX", path[1024], cmd[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* a script: its interpreter is checked; the script itself never runs */
    snprintf(path, sizeof path, "%s/script", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "#!/bin/sh\ntouch %s/ran\n", dir);
    fclose(f);
    chmod(path, 0755);
    RUN(&p, NULL, "--check", path);
    ck_assert_msg(exited_with(&p, 0), "%s: %s", status_str(&p), p.out_buf);
    snprintf(want, sizeof want, "%s (a script run by /bin/sh): loads and initialises: managed "
             "signals SIGINT,SIGTERM (", path);
    ck_assert_msg(strncmp(p.out_buf, want, strlen(want)) == 0, "%s", p.out_buf);
    ck_assert_int_eq(count_of(p.out_buf, "\n"), 1);
    snprintf(cmd, sizeof cmd, "%s/ran", dir);
    ck_assert_int_ne(access(cmd, F_OK), 0);
    proc_free(&p);
    /* a 32-bit ELF executable */
    snprintf(path, sizeof path, "%s/elf32", dir);
    f = fopen(path, "w");
    unsigned char ident[64] = {0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1, 1};
    fwrite(ident, 1, sizeof ident, f);
    fclose(f);
    chmod(path, 0755);
    RUN(&p, NULL, "--check", path);
    ck_assert_msg(exited_with(&p, 1), "%s", status_str(&p));
    ck_assert_int_eq(count_of(p.out_buf, ": cannot load: built for another architecture or a 32-bit one"), 1);
    proc_free(&p);
    /* privileged as the kernel decides AT_SECURE (security/commoncap.c,
     * cap_bprm_creds_from_file): the ids after exec differ from the caller's
     * real ids, or file capabilities raise a non-root caller's. The test
     * runs as root: a setuid-root program is not privileged for root, file
     * capabilities are not either (checked again as nobody, via setpriv). */
    chmod(dir, 0755);
    static const struct {
        const char *setup, *as_nobody, *says;
        int status;
    } modes[] = {
        {"chown 65534 %s && chmod 4755 %s", NULL, "left alone: privileged, setuid (owner uid 65534): ", 2},
        {"chgrp 65534 %s && chmod 2755 %s", NULL, "left alone: privileged, setgid (group 65534): ", 2},
        {"chown 0 %s && chmod 4755 %s", NULL, ": loads and initialises: managed signals SIGINT,SIGTERM (", 0},
        {"chmod 755 %s && setcap cap_net_bind_service+ep %s", NULL, ": loads and initialises: ", 0},
        {"chmod 755 %s && setcap cap_net_bind_service+ep %s", "yes", "left alone: privileged, file capabilities: ", 2},
        {"chown 0 %s && chmod 4755 %s", "yes", "left alone: privileged, setuid (owner uid 0): ", 2},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        snprintf(path, sizeof path, "%s/priv%zu", dir, i);
        snprintf(cmd, sizeof cmd, "cp %s %s", prog_path("exitfns"), path);
        ck_assert_int_eq(system(cmd), 0);
        char fmt[256];
        snprintf(fmt, sizeof fmt, "%s", modes[i].setup);
        snprintf(cmd, sizeof cmd, fmt, path, path);
        ck_assert_msg(system(cmd) == 0, "%s", cmd);
        if (modes[i].as_nobody) {
            char *const argv[] = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  (char *)wrapper(), "--check", path, NULL};
            run(&p, NULL, argv);
        } else {
            RUN(&p, NULL, "--check", path);
        }
        ck_assert_msg(exited_with(&p, modes[i].status), "%zu: %s: %s %s", i, status_str(&p),
                      p.out_buf, p.err_buf);
        ck_assert_msg(count_of(p.out_buf, modes[i].says) == 1, "%zu: %s", i, p.out_buf);
        ck_assert_int_eq(count_of(p.out_buf, "\n"), 1);
        ck_assert_int_eq(count_of(p.out_buf, "no cleanup, no chaining"), modes[i].status == 2);
        proc_free(&p);
    }
    /* the wrapper runs a setuid-root program for root without a warning, and
     * the library covers it (it has no AT_SECURE) */
    snprintf(path, sizeof path, "%s/priv2", dir);
    char line[64];
    char *const argv[] = {(char *)wrapper(), path, "wait", NULL};
    proc_spawnv(&p, false, NULL, argv);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_int_eq(count_of(p.out_buf, "atexit 1\n"), 1);
    ck_assert_str_eq(p.err_buf, "");
    proc_free(&p);
    /* a setuid program of another owner: the warning */
    snprintf(path, sizeof path, "%s/priv0", dir);
    RUN(&p, NULL, path, "exit");
    snprintf(want, sizeof want, "multiexit: warning: %s is setuid/setgid: the loader ignores "
             "LD_PRELOAD for it; running it anyway\n", path);
    ck_assert_str_eq(p.err_buf, want);
    proc_free(&p);
    /* file capabilities, for a user other than root: the warning says so */
    snprintf(path, sizeof path, "%s/priv3", dir);
    {
        char *const nargv[] = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                               "--clear-groups", (char *)wrapper(), path, "exit", NULL};
        run(&p, NULL, nargv);
    }
    snprintf(want, sizeof want, "multiexit: warning: %s is privileged (file capabilities): the "
             "loader ignores LD_PRELOAD for it; running it anyway\n", path);
    ck_assert_str_eq(p.err_buf, want);
    proc_free(&p);
    /* #!/usr/bin/env NAME: NAME as env finds it in PATH (here a static
     * program, which cannot load the library), in one line */
    char bindir[600], envpath[700];
    snprintf(bindir, sizeof bindir, "%s/bin", dir);
    mkdir(bindir, 0755);
    snprintf(cmd, sizeof cmd, "cp %s %s/me-static-name", prog_path("static_prog"), bindir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/envscript", dir);
    f = fopen(path, "w");
    fprintf(f, "#!/usr/bin/env me-static-name\n");
    fclose(f);
    chmod(path, 0755);
    snprintf(envpath, sizeof envpath, "PATH=%s:/usr/bin:/bin", bindir);
    const char *const penv[] = {envpath, NULL};
    RUN(&p, penv, "--check", path);
    ck_assert_msg(exited_with(&p, 1), "%s: %s", status_str(&p), p.out_buf);
    snprintf(want, sizeof want, "%s (a script run by %s/me-static-name): cannot load: statically "
             "linked (no dynamic loader to preload anything)\n", path, bindir);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
    /* NAME itself a script (a pyenv shim runs bash): followed, as the
     * kernel follows nested interpreters */
    snprintf(path, sizeof path, "%s/me-shim", bindir);
    f = fopen(path, "w");
    fprintf(f, "#!/bin/sh\nexec me-static-name \"$@\"\n");
    fclose(f);
    chmod(path, 0755);
    snprintf(path, sizeof path, "%s/envscript2", dir);
    f = fopen(path, "w");
    fprintf(f, "#!/usr/bin/env me-shim\n");
    fclose(f);
    chmod(path, 0755);
    RUN(&p, penv, "--check", path);
    ck_assert_msg(exited_with(&p, 0), "%s: %s", status_str(&p), p.out_buf);
    snprintf(want, sizeof want, "%s (a script run by %s/me-shim, a script run by /bin/sh): loads",
             path, bindir);
    ck_assert_msg(strncmp(p.out_buf, want, strlen(want)) == 0, "%s", p.out_buf);
    proc_free(&p);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The wrapper's messages name the real cause (issue 25). */
START_TEST(messages_name_the_cause)
{
    struct proc p;
    RUN(&p, NULL, "-t", "1.2345", "true");
    ck_assert_msg(exited_with(&p, 125), "%s", status_str(&p));
    ck_assert_str_eq(p.err_buf, "multiexit: --timeout: '1.2345' has more than 3 decimals "
                                "(the finest unit is a millisecond)\n");
    proc_free(&p);
    RUN(&p, NULL, "-t", "soon", "true");
    ck_assert_str_eq(p.err_buf, "multiexit: --timeout: 'soon' is not a number of seconds from 0 "
                                "to 86400\n");
    proc_free(&p);
    RUN(&p, NULL, "-s");
    ck_assert_msg(exited_with(&p, 125), "%s", status_str(&p));
    ck_assert_str_eq(p.err_buf, "multiexit: option '-s' needs a value (see multiexit --help)\n");
    proc_free(&p);
    RUN(&p, NULL, "--signals");
    ck_assert_str_eq(p.err_buf,
                     "multiexit: option '--signals' needs a value (see multiexit --help)\n");
    proc_free(&p);
    RUN(&p, NULL, "-t");
    ck_assert_str_eq(p.err_buf, "multiexit: option '-t' needs a value (see multiexit --help)\n");
    proc_free(&p);
    RUN(&p, NULL, "/tmp");
    ck_assert_msg(exited_with(&p, 126), "%s", status_str(&p));
    ck_assert_str_eq(p.err_buf, "multiexit: /tmp: is a directory\n");
    proc_free(&p);
    /* none with signals: one line, from the wrapper and the library alike */
    RUN(&p, NULL, "-s", "none,TERM", "true");
    ck_assert_msg(exited_with(&p, 125), "%s", status_str(&p));
    ck_assert_str_eq(p.err_buf, "multiexit: --signals: 'none': cannot be combined with signals\n");
    proc_free(&p);
    static const char *const env[] = {"MULTIEXIT_SIGNALS=none,TERM", NULL};
    RUN(&p, env, "--check", (char *)prog_path("exitfns"));
    ck_assert_msg(exited_with(&p, 0), "%s", status_str(&p));
    ck_assert_int_eq(count_of(p.out_buf, ": loads and initialises: managed signals SIGTERM ("), 1);
    ck_assert_str_eq(p.err_buf, "multiexit: MULTIEXIT_SIGNALS: ignoring 'none': cannot be "
                                "combined with signals\n");
    proc_free(&p);
    /* "ran 1 exit function", singular */
    char line[64];
    char *const argv[] = {(char *)wrapper(), "-v", (char *)prog_path("secure_prog"), NULL};
    proc_spawnv(&p, false, NULL, argv);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_msg(count_of(p.err_buf, ": ran 1 exit function, dying by SIGTERM\n") == 1, "%s",
                  p.err_buf);
    proc_free(&p);
}
END_TEST

/* --version names the library the wrapper would load; --help names the
 * variable each option sets. */
START_TEST(version_and_help_say_what_they_set)
{
    struct proc p;
    RUN(&p, NULL, "--version");
    ck_assert_msg(exited_with(&p, 0), "version: %s", status_str(&p));
    char want[2048];
    /* the build tree's library by its soname; the version from its real file name */
    const char *lib = shim_path();
    snprintf(want, sizeof want, "multiexit 0.1.0\nlibrary: %.*s/libmultiexit.so.0, version 0.1.0\n",
             (int)(strrchr(lib, '/') - lib), lib);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
    RUN(&p, NULL, "--help");
    static const char *const vars[] = {
        "(MULTIEXIT_SIGNALS)", "(MULTIEXIT_TIMEOUT)", "(MULTIEXIT_INHERIT=shared)",
        "(MULTIEXIT_INHERIT=private)", "(MULTIEXIT_CHILD_SIGINT=ignore)", "(MULTIEXIT_CHAIN=off)",
        "(MULTIEXIT_VERBOSE=1)",
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        ck_assert_msg(count_of(p.out_buf, vars[i]) == 1, "%s not in\n%s", vars[i], p.out_buf);
    proc_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wrapper");
    TCase *tc = tcase_create("multiexit command");
    tcase_set_timeout(tc, 120);
    me_add_test(tc, exit_codes);
    me_add_test(tc, options_after_the_command_are_the_commands);
    me_add_test(tc, execs_and_signal_death_passes_through);
    me_add_test(tc, existing_preload_is_kept);
    me_add_test(tc, library_lookup_never_uses_the_current_directory);
    me_add_test(tc, installed_prefix_finds_its_own_library);
    me_add_test(tc, static_binary_warning);
    me_add_test(tc, check_tells_what_the_library_would_do);
    me_add_test(tc, messages_name_the_cause);
    me_add_test(tc, version_and_help_say_what_they_set);
    suite_add_tcase(s, tc);
    return run_suite(s, true);
}
