// A pseudo-terminal for the simulated board: the harness owns the master side, clients
// open the slave path like a serial port.
#pragma once

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace janela {

struct Pty {
  int master = -1;
  // Held open for the harness's whole life: while any slave fd is open, reads on the
  // master never fail with EIO, so the pty survives clients closing and reopening it.
  int slave = -1;
  std::string path;

  Pty() {
    char name[256] = {0};
    if (openpty(&master, &slave, name, nullptr, nullptr) != 0) {
      throw std::runtime_error(std::string("openpty: ") + std::strerror(errno));
    }
    path = name;
    termios tio{};
    if (tcgetattr(slave, &tio) != 0) throw std::runtime_error(std::string("tcgetattr: ") + std::strerror(errno));
    cfmakeraw(&tio);  // bytes pass unchanged: no echo, no line editing, no CR/LF mapping
    if (tcsetattr(slave, TCSANOW, &tio) != 0) throw std::runtime_error(std::string("tcsetattr: ") + std::strerror(errno));
    const int flags = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, flags | O_NONBLOCK);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
  }

  ~Pty() {
    if (master >= 0) ::close(master);
    if (slave >= 0) ::close(slave);
  }

  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  // Discards bytes written to the board side that no client has read (the master's
  // output backs up when nobody has the port open).
  void discardUnread() const { tcflush(slave, TCIFLUSH); }
};

}  // namespace janela
