#!/usr/bin/env python3
"""The games harness keeps a game's output bounded (gamerun.GameLog): a game
that writes without end fills its log only up to a limit, and the log then
says how much was left out and keeps the end, where a crash's message is.
And a game does not outlive a killed harness by writing on: Extreme Tux
Racer, orphaned on a dead X server, wrote 1.5 GB of errors in a minute
into a log file of its own. Through the harness's reader it is stopped by
its next write (EPIPE).

usage: game_output.py
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import gamerun  # noqa: E402
from lorelei import TIME_SCALE, Checks  # noqa: E402

# A game that writes 40 MiB of lines, then its last words, then ends.
FLOOD = [sys.executable, "-c",
         "import sys\n"
         "line = 'x' * 1023 + '\\n'\n"
         "for _ in range(40 * 1024): sys.stdout.write(line)\n"
         "sys.stdout.write('last words\\n')\n"]
# A game that writes a line every 10 ms for ever, and says who it is first.
CHATTER = ("import os, sys, time\n"
           "print(os.getpid(), flush=True)\n"
           "while True:\n"
           "    print('still here', flush=True)\n"
           "    time.sleep(0.01)\n")
# A harness that starts CHATTER in its own session (as gamerun.play does),
# prints its pid, and waits to be killed.
HARNESS = ("import sys, time\n"
           f"sys.path.insert(0, {HERE!r})\n"
           "import gamerun\n"
           "p, log = gamerun.start([sys.executable, '-c', sys.argv[2]], sys.argv[1],"
           " start_new_session=True)\n"
           "print(p.pid, flush=True)\n"
           "time.sleep(600)\n")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie has ended
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def main():
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        for terminal in (False, True):
            how = "through the terminal" if terminal else "through a pipe"
            log = os.path.join(tmp, f"flood-{terminal}.log")
            p, game_log = gamerun.start(FLOOD, log, terminal)
            p.wait(timeout=120 * TIME_SCALE)
            game_log.stop()
            size = os.path.getsize(log)
            with open(log, "rb") as f:
                text = f.read()
            limit = gamerun.LOG_LIMIT + gamerun.LOG_TAIL + 200
            c.check(size <= limit, f"{how}: a game that writes 40 MiB leaves a log of at most "
                    f"{limit} bytes ({size})")
            c.check(b"bytes of output left out after the first" in text,
                    f"{how}: the log says how much was left out")
            c.check(text.endswith(b"last words\n"), f"{how}: the log keeps the end of the "
                    f"output ({text[-40:]!r})")
        # A killed harness: its game must end too, within seconds.
        log = os.path.join(tmp, "chatter.log")
        h = subprocess.Popen([sys.executable, "-c", HARNESS, log, CHATTER],
                             stdout=subprocess.PIPE, text=True)
        game = int(h.stdout.readline())
        deadline = time.monotonic() + 10 * TIME_SCALE
        while time.monotonic() < deadline and b"still here" not in open(log, "rb").read():
            time.sleep(0.1)
        h.send_signal(signal.SIGKILL)
        h.wait()
        deadline = time.monotonic() + 5 * TIME_SCALE
        while alive(game) and time.monotonic() < deadline:
            time.sleep(0.1)
        still = alive(game)
        if still:
            os.kill(game, signal.SIGKILL)
        c.check(not still, "a game whose harness was killed ends at its next write (it was "
                f"{'still running' if still else 'gone'} 5 s later)")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
