/* SPDX-License-Identifier: MIT */
/* A C program that embeds the JVM, for tests/jvm_launcher.sh. It installs a
 * SIGTERM handler of its own (without looking at the disposition), then
 * starts HotSpot with JNI_CreateJavaVM. HotSpot reads the disposition it
 * replaces (a query, then sigaction with an oldact), so it takes SIGTERM
 * over: without the shim the launcher's handler never runs, and with the
 * shim it must not run either. The launcher calls the static method
 * CLASS.METHOD()V, destroys the VM, writes "destroyed" and exits 3.
 *   jvm_launcher CLASSPATH CLASS METHOD [JVM_OPTION]...
 *   jvm_launcher --wait COMMAND [ARG]...
 * The second form runs COMMAND as its child and writes "exited N" or
 * "killed by signal N" when it ends: a shell reports exit(143) and death by
 * SIGTERM both as 143, and HotSpot's Terminator does the former. */
#include <errno.h>
#include <jni.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *s)
{
    if (write(1, s, strlen(s)) < 0) {
    }
}

static void launcher_handler(int sig)
{
    (void)sig;
    say("launcher handler\n");
}

static int wait_for(char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 2;
    if (WIFSIGNALED(st))
        printf("killed by signal %d\n", WTERMSIG(st));
    else
        printf("exited %d\n", WEXITSTATUS(st));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--wait") == 0)
        return wait_for(argv + 2);
    if (argc < 4) {
        fprintf(stderr, "usage: %s CLASSPATH CLASS METHOD [JVM_OPTION]...\n", argv[0]);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = launcher_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0) { /* installs without looking */
        perror("sigaction");
        return 2;
    }

    static char cp[4096];
    snprintf(cp, sizeof cp, "-Djava.class.path=%s", argv[1]);
    JavaVMOption opts[64];
    int n = 0;
    opts[n++].optionString = cp;
    for (int i = 4; i < argc && n < 64; i++)
        opts[n++].optionString = argv[i];
    JavaVMInitArgs args = {.version = JNI_VERSION_1_8, .nOptions = n, .options = opts,
                           .ignoreUnrecognized = JNI_FALSE};
    JavaVM *vm;
    JNIEnv *env;
    if (JNI_CreateJavaVM(&vm, (void **)&env, &args) != JNI_OK) {
        fprintf(stderr, "JNI_CreateJavaVM failed\n");
        return 2;
    }
    int status = 3;
    jclass cls = (*env)->FindClass(env, argv[2]);
    jmethodID m = cls ? (*env)->GetStaticMethodID(env, cls, argv[3], "()V") : NULL;
    if (m)
        (*env)->CallStaticVoidMethod(env, cls, m);
    if ((*env)->ExceptionCheck(env)) {
        (*env)->ExceptionDescribe(env);
        status = 2;
    }
    (*vm)->DestroyJavaVM(vm); /* runs the shutdown hooks */
    say("destroyed\n");
    exit(status);
}
