# Listeners node cannot make (node 20 has no SO_REUSEPORT and cannot bind without
# listening). One JSON argument: {host, port, reusePort, bindOnly}. Prints one JSON
# line {"ready":true,"pid":...,"pids":[...],"port":...} once set up.
import json, os, signal, socket, sys, time

options = json.loads(sys.argv[1] if len(sys.argv) > 1 else '{}')
host = options.get('host', '127.0.0.1')
family = socket.AF_INET6 if ':' in host else socket.AF_INET

if options.get('supervisor'):
    # A supervisor that re-takes the port the moment its child dies: it binds
    # a SO_REUSEPORT socket up front (bound, not listening: invisible in
    # /proc/net/tcp), forks the child that listens, and calls listen() from its
    # SIGCHLD handler. A claim sees only the child, then a different process
    # (this one) listening after the child died.
    standby = socket.socket(family, socket.SOCK_STREAM)
    standby.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    standby.bind((host, options.get('port', 0)))
    port = standby.getsockname()[1]
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((host, port))
        s.listen(16)
        standby.close()
        os.write(write_end, b'1')
        while True:
            time.sleep(3600)
    os.close(write_end)
    os.read(read_end, 1)
    def retake(signum, frame):
        standby.listen(16)
    signal.signal(signal.SIGCHLD, retake)
    print(json.dumps({'ready': True, 'pid': os.getpid(), 'pids': [os.getpid(), child], 'holders': [child], 'port': port}), flush=True)
    while True:
        time.sleep(3600)

s = socket.socket(family, socket.SOCK_STREAM)
if options.get('reusePort'):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind((host, options.get('port', 0)))
if not options.get('bindOnly'):
    s.listen(16)
if options.get('ignoreTerm'):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(json.dumps({'ready': True, 'pid': os.getpid(), 'pids': [os.getpid()], 'port': s.getsockname()[1]}), flush=True)
while True:
    time.sleep(3600)
