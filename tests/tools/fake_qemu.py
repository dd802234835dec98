"""A stand-in for a QEMU process, for testing nvlat's live path on x86.

Run as: fake_qemu.py -name guest=NAME,debug-threads=on NTHREADS WRITES
It names its threads "CPU n/KVM" like QEMU, opens one /dev/null fd per
thread and prints the fds as JSON.  On "go" each thread writes WRITES times
100*(n+1) bytes to its fd (so sys_enter_write has known fd/count values);
it prints "done" and waits for "exit" so /proc stays readable meanwhile.
"""
import ctypes
import json
import os
import sys
import threading

PR_SET_NAME = 15
libc = ctypes.CDLL(None, use_errno=True)


def set_thread_name(name):
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()), 0, 0, 0)


def main():
    nthreads, writes = int(sys.argv[3]), int(sys.argv[4])
    fds = [os.open("/dev/null", os.O_WRONLY) for _ in range(nthreads)]
    go, leave = threading.Event(), threading.Event()
    finished = []

    def vcpu(i):
        set_thread_name(f"CPU {i}/KVM")
        go.wait()
        buf = b"x" * (100 * (i + 1))
        for _ in range(writes):
            os.write(fds[i], buf)
        finished.append(i)
        leave.wait()

    threads = [threading.Thread(target=vcpu, args=(i,)) for i in range(nthreads)]
    for t in threads:
        t.start()
    print(json.dumps({"pid": os.getpid(), "fds": fds,
                      "tids": []}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "go":
            go.set()
            while len(finished) < nthreads:
                threading.Event().wait(0.01)
            print("done", flush=True)
        elif cmd == "exit":
            break
    go.set()
    leave.set()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
