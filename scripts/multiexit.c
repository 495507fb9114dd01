/* SPDX-License-Identifier: MIT */
/* multiexit [OPTIONS] [--] COMMAND [ARG]...
 * multiexit [OPTIONS] --check PROGRAM
 * multiexit status [--json] PID...    (also --status: scripts/status.c)
 *
 * Runs COMMAND with libmultiexit preloaded: options map onto the MULTIEXIT_*
 * variables, the library is put in front of an existing LD_PRELOAD, and the
 * command is exec'd (same pid: signals reach the program itself).
 * Exit status: 125 for the wrapper's own errors, 126 when COMMAND cannot be
 * run, 127 when it is not found, otherwise COMMAND's own.
 * --check runs nothing of PROGRAM: it reads its ELF headers, mode bits and
 * security.capability attribute, asks PROGRAM's own dynamic loader to map
 * it with the library (ld.so --list, which runs no code of the program's),
 * and loads the library into a copy of this command to see it initialise.
 * Exit status: 0 the library loads and manages it, 1 it cannot be loaded,
 * 2 it is privileged (the library leaves it alone). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "me_config.h"
#include "status.h"

#define LIBNAME "libmultiexit.so." ME_SOVERSION

__attribute__((format(printf, 2, 3), noreturn)) static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "multiexit: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

static void usage(FILE *to)
{
    fputs("Usage: multiexit [OPTION]... [--] COMMAND [ARG]...\n"
          "       multiexit [OPTION]... --check PROGRAM\n"
          "       multiexit status [--json] PID...\n"
          "Run COMMAND so that a termination signal runs its exit functions\n"
          "(atexit, on_exit, C++ destructors, stdio flush) before it dies by that\n"
          "signal, with every handler its parts install chained.\n"
          "\n"
          "  -s, --signals=LIST     managed signals (MULTIEXIT_SIGNALS), e.g. TERM,INT,HUP\n"
          "  -t, --timeout=SECONDS  limit for the cleanup, 0 = none (MULTIEXIT_TIMEOUT)\n"
          "      --shared           plain atexit functions also run in forked children\n"
          "                         (MULTIEXIT_INHERIT=shared)\n"
          "      --private          they run only in the process that registered them\n"
          "                         (MULTIEXIT_INHERIT=private)\n"
          "      --child-ignore-int forked children ignore SIGINT\n"
          "                         (MULTIEXIT_CHILD_SIGINT=ignore)\n"
          "      --no-chain         every handler install replaces, as the kernel's\n"
          "                         (MULTIEXIT_CHAIN=off); the cleanup stays\n"
          "  -v, --verbose          one line on stderr per event (MULTIEXIT_VERBOSE=1)\n"
          "      --check PROGRAM    tell whether the library would load into PROGRAM and\n"
          "                         manage it, without running it (exit status 0: yes,\n"
          "                         1: it cannot be loaded, 2: privileged, left alone)\n"
          "  status [--json] PID... (first, or --status) tell for each running process\n"
          "                         whether the library covers it: which copy is loaded,\n"
          "                         its version and settings, the managed signals caught;\n"
          "                         exit status 0: all covered, 1: one at least not\n"
          "                         covered (or not readable), else 2: left alone\n"
          "  -h, --help             show this help and exit\n"
          "      --version          show the version and the library it would load\n"
          "\n"
          "Options after COMMAND belong to COMMAND. Exit status: COMMAND's own;\n"
          "125 if multiexit itself fails, 126 if COMMAND cannot be run, 127 if it is\n"
          "not found. Statically linked programs cannot load the library; setuid,\n"
          "setgid and file-capability programs ignore LD_PRELOAD, and the library\n"
          "leaves them alone even from /etc/ld.so.preload.\n"
          "See multiexit(1) and libmultiexit(7).\n",
          to);
}

struct bad {
    const char *line;
};

static void first_bad(void *ctx, const char *line)
{
    struct bad *b = ctx;
    if (!b->line)
        b->line = strdup(line);
}

static bool readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The library next to the wrapper (build tree), then in the lib directories
 * of the wrapper's own prefix, then where it was installed. Never relative
 * to the current directory: every candidate is an absolute path. */
static const char *find_library(void)
{
    static char found[PATH_MAX];
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = {"", "/../" ME_LIBDIR, "/../lib/" ME_MULTIARCH,
                                              "/../lib", "/../lib64"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char dir[PATH_MAX + 64], real[PATH_MAX];
                snprintf(dir, sizeof dir, "%s%s", self, rel[i]);
                if (!realpath(dir, real))
                    continue;
                int w = snprintf(found, sizeof found, "%s/%s", real, LIBNAME);
                if (w > 0 && (size_t)w < sizeof found && readable(found))
                    return found;
            }
        }
    }
    if (readable(ME_FULL_LIBDIR "/" LIBNAME))
        return ME_FULL_LIBDIR "/" LIBNAME;
    return NULL;
}

/* The file execvp would run, or NULL. A directory in PATH is passed over,
 * as execvp does. */
static const char *resolve(const char *cmd, char *buf, size_t n)
{
    int w;
    if (strchr(cmd, '/'))
        return cmd;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        w = snprintf(buf, n, "%.*s/%s", (int)len, len ? path : ".", cmd);
        struct stat st;
        if (w > 0 && (size_t)w < n && access(buf, X_OK) == 0 && stat(buf, &st) == 0 &&
            !S_ISDIR(st.st_mode))
            return buf;
        path += len + (end ? 1 : 0);
    }
    return NULL;
}

/* 1 if an ELF file without PT_INTERP (static or static-pie), 0 otherwise. */
static int is_static_elf(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf64_Ehdr eh;
    int result = 0;
    if (read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN)) {
        result = 1;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            if (ph.p_type == PT_INTERP) {
                /* no loader, nothing preloaded: static, and static-pie
                 * (which has a PT_DYNAMIC segment, for its own relocation) */
                result = 0;
                break;
            }
        }
    }
    close(fd);
    return result;
}


#ifdef ME_TEST_EMULATOR
/* Only in the copy of this command that a cross build's tests run
 * (tests/CMakeLists.txt, multiexit-emulated; never installed): there this
 * command itself runs under an emulator (qemu-user), which cannot follow an
 * exec into a program of the target. Such a program (an ELF file of this
 * command's own machine) is exec'd as "EMULATOR -E LD_PRELOAD=... -0 ARGV0
 * FILE ARG...": the preload goes to the emulated program, and the emulator,
 * a host program, is exec'd without it. Anything else is exec'd as usual. */
#include "../tests/own_machine.h"
static void exec_file(const char *file, char *const argv[])
{
    static const char *const emulator[] = {ME_TEST_EMULATOR};
    const size_t ne = sizeof emulator / sizeof emulator[0];
    if (!own_machine(file)) {
        execv(file, argv);
        return;
    }
    size_t n = 0, argc = 0;
    while (argv[argc])
        argc++;
    char **eargv = calloc(ne + argc + 6, sizeof *eargv);
    const char *pre = getenv("LD_PRELOAD");
    char *pre_arg = pre ? malloc(strlen(pre) + sizeof "LD_PRELOAD=") : NULL;
    if (!eargv || (pre && !pre_arg))
        return;
    for (size_t i = 0; i < ne; i++)
        eargv[n++] = (char *)emulator[i];
    if (pre) {
        sprintf(pre_arg, "LD_PRELOAD=%s", pre);
        eargv[n++] = "-E";
        eargv[n++] = pre_arg;
    }
    eargv[n++] = "-0";
    eargv[n++] = argv[0];
    eargv[n++] = (char *)file;
    for (size_t i = 1; i < argc; i++)
        eargv[n++] = argv[i];
    eargv[n] = NULL;
    char *saved = pre ? strdup(pre) : NULL;
    unsetenv("LD_PRELOAD");
    execvp(eargv[0], eargv);
    int err = errno;
    if (saved)
        setenv("LD_PRELOAD", saved, 1);
    errno = err;
}
#else
static void exec_file(const char *file, char *const argv[]) { execv(file, argv); }
#endif

/* Whether exec'ing file from this process would set AT_SECURE, as the
 * kernel decides: fs/exec.c (bprm_fill_uid) gives the new effective ids
 * from the set-id bits (ignored on a nosuid mount or under no_new_privs;
 * setgid only with the group execute bit), and security/commoncap.c
 * (cap_bprm_creds_from_file) sets secureexec when they differ from the
 * caller's real ids, or, for a caller whose real uid is not 0, when file
 * capabilities raise its capabilities. So root running a setuid-root
 * program gets no AT_SECURE, and neither does root running a program with
 * file capabilities. why gets the reasons ("" if none). */
static bool secure_exec(const char *file, const struct stat *st, char *why, size_t n)
{
    uid_t ruid = getuid(), euid = geteuid();
    gid_t rgid = getgid(), egid = getegid();
    struct statvfs vfs;
    bool setid = !(statvfs(file, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) &&
                 prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1;
    if (setid && (st->st_mode & S_ISUID))
        euid = st->st_uid;
    if (setid && (st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
        egid = st->st_gid;
    why[0] = '\0';
    if (euid != ruid) {
        if (euid == st->st_uid && (st->st_mode & S_ISUID))
            snprintf(why, n, "setuid (owner uid %u)", (unsigned)st->st_uid);
        else
            snprintf(why, n, "effective uid %u, real uid %u", (unsigned)euid, (unsigned)ruid);
    }
    if (egid != rgid) {
        size_t l = strlen(why);
        if (egid == st->st_gid && (st->st_mode & S_ISGID))
            snprintf(why + l, n - l, "%ssetgid (group %u)", l ? ", " : "", (unsigned)st->st_gid);
        else
            snprintf(why + l, n - l, "%seffective gid %u, real gid %u", l ? ", " : "",
                     (unsigned)egid, (unsigned)rgid);
    }
    if (ruid != 0 && getxattr(file, "security.capability", NULL, 0) > 0) {
        size_t l = strlen(why);
        snprintf(why + l, n - l, "%sfile capabilities", l ? ", " : "");
    }
    return why[0] != '\0';
}

/* The version of the library file at path, from its real file name
 * (libmultiexit.so.0 -> libmultiexit.so.0.1.0: the build and the packages
 * install it so); false if the name does not carry one. Not loaded. */
static bool library_version(const char *path, char *buf, size_t n)
{
    char real[PATH_MAX];
    return realpath(path, real) && me_version_from_name(real, buf, n);
}

/* ---------------- --check ---------------- */

struct elf_facts {
    bool elf, exec, class64, native, interp_found;
    char interp[PATH_MAX];
};

static void read_elf(const char *file, struct elf_facts *f)
{
    memset(f, 0, sizeof *f);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    unsigned char ident[EI_NIDENT];
    if (pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident ||
        memcmp(ident, ELFMAG, SELFMAG) != 0) {
        close(fd);
        return;
    }
    f->elf = true;
    f->class64 = ident[EI_CLASS] == ELFCLASS64;
    Elf64_Ehdr eh;
    if (!f->class64 || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) {
        close(fd);
        return;
    }
    f->exec = eh.e_type == ET_EXEC || eh.e_type == ET_DYN;
#if defined(__x86_64__)
    f->native = eh.e_machine == EM_X86_64;
#elif defined(__aarch64__)
    f->native = eh.e_machine == EM_AARCH64;
#else
    f->native = true;
#endif
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
            (ssize_t)sizeof ph)
            break;
        if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < sizeof f->interp &&
            pread(fd, f->interp, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
            f->interp[ph.p_filesz - 1] = '\0';
            f->interp_found = true;
        }
    }
    close(fd);
}

/* Runs argv with extra environment entries (NAME=value, NULL-terminated),
 * stdin from /dev/null; returns its exit status (-1 if it did not exit)
 * and its stdout and stderr together in out. */
static int capture(char *const argv[], const char *const *env, char *out, size_t n)
{
    int fds[2];
    if (pipe(fds) != 0)
        die(125, "pipe: %s", strerror(errno));
    pid_t p = fork();
    if (p < 0)
        die(125, "fork: %s", strerror(errno));
    if (p == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        for (; env && *env; env++)
            putenv((char *)*env);
        exec_file(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while ((r = read(fds[0], out + len, n - 1 - len)) > 0 && len + (size_t)r < n - 1)
        len += (size_t)r;
    if (r > 0)
        len += (size_t)r;
    out[len] = '\0';
    char sink[512];
    while (read(fds[0], sink, sizeof sink) > 0) {
    }
    close(fds[0]);
    int st;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The hidden helper: this command re-executed with the library preloaded.
 * Prints the library's version and the signals it took over (the kernel
 * holds a handler where the program's view, through sigaction, is the
 * default). */
static int check_helper(void)
{
    const char *(*version)(void) =
        (const char *(*)(void))dlsym(RTLD_DEFAULT, "multiexit_version");
    if (!version) {
        printf("not loaded\n");
        return 1;
    }
    printf("version %s managed", version());
    int any = 0;
    for (int sig = 1; sig <= 64; sig++) {
        struct {
            void *handler;
            unsigned long flags;
            void *restorer;
            unsigned long mask;
        } k;
        struct sigaction seen;
        if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33 ||
            syscall(SYS_rt_sigaction, sig, NULL, &k, 8) != 0 || sigaction(sig, NULL, &seen) != 0)
            continue;
        if (k.handler != (void *)seen.sa_handler) {
            char name[16];
            me_signal_name(sig, name, sizeof name);
            printf("%s%s", any++ ? "," : " ", name);
        }
    }
    printf("%s\n", any ? "" : " none");
    return 0;
}

/* The program "#!/usr/bin/env ARGS" runs: the kernel passes ARGS as one
 * argument; env runs it as a command name, or with -S splits it and runs
 * the first word that is not an option or a NAME=value. NULL if none. */
static char *env_command(char *args)
{
    if (strncmp(args, "-S", 2) != 0 && strncmp(args, "--split-string", 14) != 0)
        return *args && *args != '-' && !strchr(args, '=') ? args : NULL;
    char *w = args + strcspn(args, " \t");
    for (;;) {
        w += strspn(w, " \t");
        if (!*w)
            return NULL;
        size_t len = strcspn(w, " \t");
        bool skip = *w == '-' || memchr(w, '=', len) != NULL;
        if (!skip) {
            w[len] = '\0';
            return w;
        }
        w += len;
    }
}

/* label: how the answer names the program (the script, for its interpreter) */
static int check_program(const char *prog, const char *lib, int depth, const char *label)
{
    char buf[PATH_MAX];
    const char *file = resolve(prog, buf, sizeof buf);
    struct stat st;
    if (!file || stat(file, &st) != 0) {
        if (depth == 0)
            die(127, "--check: %s: not found", prog);
        printf("%s: cannot load: %s not found\n", label, prog);
        return 1;
    }
    if (!label)
        label = file;
    if (!S_ISREG(st.st_mode) || access(file, X_OK) != 0) {
        printf("%s: cannot load: not an executable file\n", label);
        return 1;
    }
    struct elf_facts e;
    read_elf(file, &e);
    if (!e.elf) {
        /* a script: the library goes into its interpreter (the set-id bits
         * of a script are ignored), judged in the same one line */
        char line[PATH_MAX + 2] = "";
        FILE *f = fopen(file, "r");
        if (f) {
            if (!fgets(line, sizeof line, f))
                line[0] = '\0';
            fclose(f);
        }
        /* an interpreter may itself be a script (a pyenv shim runs bash):
         * the kernel follows up to 4 of them (BINPRM_MAX_RECURSION) */
        if (line[0] == '#' && line[1] == '!' && depth < 4) {
            char *interp = line + 2 + strspn(line + 2, " \t");
            line[strcspn(line, "\n")] = '\0';
            char *args = interp + strcspn(interp, " \t");
            if (*args) {
                *args++ = '\0';
                args += strspn(args, " \t");
                for (size_t l = strlen(args); l > 0 && (args[l - 1] == ' ' || args[l - 1] == '\t');)
                    args[--l] = '\0';
            }
            const char *base = strrchr(interp, '/');
            const char *run = interp;
            char via[PATH_MAX];
            if (strcmp(base ? base + 1 : interp, "env") == 0 && env_command(args)) {
                /* as env finds it: a PATH lookup */
                const char *cmd = env_command(args);
                run = resolve(cmd, via, sizeof via);
                if (!run) {
                    printf("%s (a script run by %s %s): cannot load: %s not found in PATH\n",
                           depth ? label : file, interp, args, cmd);
                    return 1;
                }
            }
            char script_label[2 * PATH_MAX + 32];
            if (depth == 0)
                snprintf(script_label, sizeof script_label, "%s (a script run by %s)", file, run);
            else /* "a.py (a script run by shim, a script run by bash)" */
                snprintf(script_label, sizeof script_label, "%.*s, a script run by %s)",
                         (int)strlen(label) - 1, label, run);
            return check_program(run, lib, depth + 1, script_label);
        }
        printf("%s: cannot load: not an ELF program\n", label);
        return 1;
    }
    if (!e.class64 || !e.native) {
        printf("%s: cannot load: built for another architecture or a 32-bit one (the loader "
               "warns and runs it without the library)\n", label);
        return 1;
    }
    if (!e.exec) {
        printf("%s: cannot load: not an executable ELF file\n", label);
        return 1;
    }
    if (!e.interp_found) {
        printf("%s: cannot load: statically linked (no dynamic loader to preload anything)\n",
               label);
        return 1;
    }
    /* privileged: AT_SECURE, as the kernel would set it for this user */
    char why[256];
    if (secure_exec(file, &st, why, sizeof why)) {
        printf("%s: left alone: privileged, %s: LD_PRELOAD is ignored for it, and from "
               "/etc/ld.so.preload the library loads but does nothing (no cleanup, no "
               "chaining)\n", label, why);
        return 2;
    }
    /* the program's own loader maps it with the library; none of its code runs */
    char out[8192], preload[PATH_MAX + 16];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", lib);
    const char *const env[] = {preload, NULL};
    char *const list_argv[] = {e.interp, "--list", (char *)file, NULL};
    int rc = capture(list_argv, env, out, sizeof out);
    if (rc != 0 || !strstr(out, lib) || strstr(out, "cannot be preloaded") ||
        strstr(out, "not found")) {
        out[strcspn(out, "\n")] = '\0';
        printf("%s: cannot load: %s --list with the library: %s\n", label, e.interp,
               *out ? out : "failed");
        return 1;
    }
    /* and the library initialises, with this environment's MULTIEXIT_* */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die(125, "cannot find this command: %s", strerror(errno));
    self[n] = '\0';
    char *const helper_argv[] = {self, "--check-helper", NULL};
    rc = capture(helper_argv, env, out, sizeof out);
    /* the library's own diagnostics (a bad MULTIEXIT_* value) */
    for (char *l = out; (l = strstr(l, "multiexit: ")) != NULL; l++)
        fprintf(stderr, "%.*s\n", (int)strcspn(l, "\n"), l);
    char *v = strstr(out, "version ");
    if (rc != 0 || !v) {
        out[strcspn(out, "\n")] = '\0';
        printf("%s: cannot load: the library did not initialise: %s\n", label,
               *out ? out : "no answer");
        return 1;
    }
    v[strcspn(v, "\n")] = '\0';
    char *managed = strstr(v, " managed ");
    if (!managed) {
        printf("%s: cannot load: the library did not initialise: %s\n", label, v);
        return 1;
    }
    *managed = '\0';
    /* "version 0.1.0" and " managed TERM,INT" */
    printf("%s: loads and initialises: managed signals %s (%s, %s)\n", label,
           managed + strlen(" managed "), lib, v);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"signals", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
        {"shared", no_argument, NULL, 'S'},        {"private", no_argument, NULL, 'P'},
        {"child-ignore-int", no_argument, NULL, 'I'}, {"verbose", no_argument, NULL, 'v'},
        {"no-chain", no_argument, NULL, 'N'},      {"check", required_argument, NULL, 'C'},
        {"check-helper", no_argument, NULL, 'H'}, {"status", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    const char *check = NULL;
    opterr = 0;
    /* "status" first: the status of running processes (a command named
     * status still runs as "multiexit -- status" or by its path) */
    if (argc > 1 && strcmp(argv[1], "status") == 0)
        return me_status_main(argc - 2, argv + 2);
    /* '+': stop at the first non-option, so COMMAND's options are its own */
    while ((c = getopt_long(argc, argv, "+s:t:vh", opts, NULL)) != -1) {
        struct bad bad = {NULL};
        switch (c) {
        case 's':
            me_parse_signals(optarg, first_bad, &bad);
            if (bad.line) /* "multiexit: MULTIEXIT_SIGNALS: ignoring 'X': why" */
                die(125, "--signals: %s", strstr(bad.line, "ignoring ") + strlen("ignoring "));
            setenv("MULTIEXIT_SIGNALS", optarg, 1);
            break;
        case 't':
            me_parse_timeout(optarg, first_bad, &bad);
            if (bad.line) {
                const char *dot = strchr(optarg, '.');
                if (dot && dot > optarg && strspn(optarg, "0123456789") == (size_t)(dot - optarg) &&
                    strspn(dot + 1, "0123456789") == strlen(dot + 1) && strlen(dot + 1) > 3)
                    die(125, "--timeout: '%s' has more than 3 decimals (the finest unit is a "
                             "millisecond)", optarg);
                die(125, "--timeout: '%s' is not a number of seconds from 0 to 86400", optarg);
            }
            setenv("MULTIEXIT_TIMEOUT", optarg, 1);
            break;
        case 'S':
            setenv("MULTIEXIT_INHERIT", "shared", 1);
            break;
        case 'P':
            setenv("MULTIEXIT_INHERIT", "private", 1);
            break;
        case 'I':
            setenv("MULTIEXIT_CHILD_SIGINT", "ignore", 1);
            break;
        case 'N':
            setenv("MULTIEXIT_CHAIN", "off", 1);
            break;
        case 'v':
            setenv("MULTIEXIT_VERBOSE", "1", 1);
            break;
        case 'C':
            check = optarg;
            break;
        case 'H':
            return check_helper();
        case 'T':
            return me_status_main(argc - optind, argv + optind);
        case 'h':
            usage(stdout);
            return 0;
        case 'V': {
            /* and the library it would load, with that file's own version */
            printf("multiexit %s\n", ME_VERSION);
            const char *found = find_library();
            char v[64];
            if (!found)
                printf("library: %s not found next to this command or in %s\n", LIBNAME,
                       ME_FULL_LIBDIR);
            else if (library_version(found, v, sizeof v))
                printf("library: %s, version %s\n", found, v);
            else
                printf("library: %s, version unknown (its file name does not say)\n", found);
            return 0;
        }
        default:
            if (optopt == 's' || optopt == 't' || optopt == 'C') {
                /* named as given: "-s", or "--signals" (a long option's whole word) */
                const char *given = argv[optind - 1];
                if (strncmp(given, "--", 2) == 0)
                    die(125, "option '%.*s' needs a value (see multiexit --help)",
                        (int)strcspn(given, "="), given);
                die(125, "option '-%c' needs a value (see multiexit --help)", optopt);
            }
            die(125, "unknown option '%s' (see multiexit --help)", argv[optind - 1]);
        }
    }
    if (check && optind < argc)
        die(125, "--check takes one program and no command (see multiexit --help)");
    if (!check && optind >= argc)
        die(125, "no command given (see multiexit --help)");

    const char *lib = find_library();
    if (!lib)
        die(125, "cannot find %s next to this command or in %s", LIBNAME, ME_FULL_LIBDIR);
    if (check)
        return check_program(check, lib, 0, NULL);
    if (strpbrk(lib, " :\t\n"))
        die(125, "library path '%s' contains a space or colon, which LD_PRELOAD cannot carry",
            lib);
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(lib) + (old ? strlen(old) : 0) + 2;
    char *preload = malloc(len);
    if (!preload)
        die(125, "out of memory");
    snprintf(preload, len, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
    setenv("LD_PRELOAD", preload, 1);

    char buf[PATH_MAX];
    const char *file = resolve(argv[optind], buf, sizeof buf);
    if (file) {
        struct stat st;
        char why[256];
        if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
            die(126, "%s: is a directory", argv[optind]);
        if (is_static_elf(file))
            fprintf(stderr, "multiexit: warning: %s is statically linked: the shim cannot be "
                            "loaded into it; running it anyway\n", argv[optind]);
        else if (stat(file, &st) == 0 && secure_exec(file, &st, why, sizeof why))
            fprintf(stderr, "multiexit: warning: %s is %s%s%s: the loader ignores LD_PRELOAD "
                            "for it; running it anyway\n", argv[optind],
                    strstr(why, "setuid") || strstr(why, "setgid") ? "setuid/setgid"
                                                                   : "privileged (",
                    strstr(why, "setuid") || strstr(why, "setgid") ? "" : why,
                    strstr(why, "setuid") || strstr(why, "setgid") ? "" : ")");
    }
#ifdef ME_TEST_EMULATOR
    if (file)
        exec_file(file, argv + optind); /* returns if it failed: execvp tells why */
#endif
    execvp(argv[optind], argv + optind);
    int err = errno;
    free(preload);
    die(err == ENOENT ? 127 : 126, "%s: %s", argv[optind],
        err == ENOENT ? "command not found" : strerror(err));
}
