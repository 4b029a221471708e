// Running an action in a child process whose files may not grow past a limit: the unprivileged way
// to make writes fail as on a full disk (CI runs as root, so read-only permissions stop nothing).
#pragma once
#include "core/io/error.h"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace moewb::test {

// Runs `action` in a child whose files may not grow beyond `limit` bytes (the write fails with
// EFBIG, as a full disk fails with ENOSPC). Returns the child's error message, or a note. With
// `exitNormally` the child ends through exit() as a program does (atexit handlers: library shutdown)
// rather than _exit().
inline std::string writeWithFileSizeLimit(rlim_t limit, const std::function<void()>& action, bool exitNormally = false)
{
    int pipeFds[2];
    REQUIRE(::pipe(pipeFds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(pipeFds[0]);
        std::signal(SIGXFSZ, SIG_IGN);
        const rlimit rl{limit, limit};
        ::setrlimit(RLIMIT_FSIZE, &rl);
        std::string message = "<no error>";
        int code = 1;
        try {
            action();
        } catch (const Error& e) {
            message = e.what();
            code = 0;
        } catch (...) {
            message = "<other exception>";
        }
        (void)!::write(pipeFds[1], message.data(), message.size());
        ::close(pipeFds[1]);
        if (exitNormally)
            std::exit(code);
        ::_exit(code);
    }
    ::close(pipeFds[1]);
    std::string message;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0)
        message.append(buffer, static_cast<size_t>(n));
    ::close(pipeFds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    return message;
}


} // namespace moewb::test
