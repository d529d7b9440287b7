# Listeners node cannot make (node 20 has no SO_REUSEPORT and cannot bind without
# listening), and a listener run by a copy of python3. One JSON argument:
# {host, port, reusePort, bindOnly, unboundSockets, dups, name, forkOnRequest}; name sets the comm (prctl PR_SET_NAME; U+DC80+byte is that byte). Prints one JSON
# line {"ready":true,"pid":...,"pids":[...],"port":...} once set up.
import json, os, signal, socket, sys, time

options = json.loads(sys.argv[1] if len(sys.argv) > 1 else '{}')
if options.get('name'):
    import ctypes
    PR_SET_NAME = 15
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, options['name'].encode('utf-8', 'surrogateescape')[:15], 0, 0, 0)
host = options.get('host', '127.0.0.1')
family = socket.AF_INET6 if ':' in host else socket.AF_INET

if options.get('supervisor'):
    # A supervisor that re-takes the port when its child is stopped: it binds a
    # SO_REUSEPORT socket up front (bound, not listening: invisible in
    # /proc/net/tcp) and forks the child that listens. On SIGTERM the child
    # tells the supervisor, which starts listening, and only then exits. A claim
    # sees only the child at first, and a different process (the supervisor)
    # listening once the child is gone: deterministically, whatever the load.
    standby = socket.socket(family, socket.SOCK_STREAM)
    standby.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    standby.bind((host, options.get('port', 0)))
    port = standby.getsockname()[1]
    to_parent_r, to_parent_w = os.pipe()
    to_child_r, to_child_w = os.pipe()
    child = os.fork()
    if child == 0:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((host, port))
        s.listen(16)
        standby.close()
        def handover(signum, frame):
            os.write(to_parent_w, b'T')
            os.read(to_child_r, 1)  # the supervisor listens now
            os._exit(0)
        signal.signal(signal.SIGTERM, handover)
        os.write(to_parent_w, b'R')
        while True:
            time.sleep(3600)
    os.read(to_parent_r, 1)  # child listening
    print(json.dumps({'ready': True, 'pid': os.getpid(), 'pids': [os.getpid(), child], 'holders': [child], 'port': port}), flush=True)
    os.read(to_parent_r, 1)  # child got SIGTERM
    standby.listen(16)
    os.write(to_child_w, b'L')
    while True:
        time.sleep(3600)

# Unbound sockets first, at the lowest fds: in no /proc/net table (TCP's alloc counts them, inuse does not).
unbound = [socket.socket(family, socket.SOCK_STREAM) for _ in range(options.get('unboundSockets', 0))]
# mptcp: IPPROTO_MPTCP (262), whose subflow sits in TCP's bind table.
s = socket.socket(family, socket.SOCK_STREAM, 262 if options.get('mptcp') else 0)
if options.get('reusePort'):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
if family == socket.AF_INET6 and 'ipv6Only' in options:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if options['ipv6Only'] else 0)
s.bind((host, options.get('port', 0)))
if not options.get('bindOnly'):
    s.listen(16)
if options.get('dups'):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for each in unbound + [s]:
        for _ in range(options['dups']):
            os.dup(each.fileno())
if options.get('ignoreTerm'):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(json.dumps({'ready': True, 'pid': os.getpid(), 'pids': [os.getpid()], 'port': s.getsockname()[1]}), flush=True)
if options.get('forkOnRequest'):
    # One child per line on stdin: it inherits the listening socket and keeps
    # it; its PID is printed once it exists (the fork has returned: it holds the fd).
    # A line 'thread' starts a thread instead (its id, a PID too, is printed).
    import threading
    for line in sys.stdin:
        if line.strip() == 'thread':
            def run():
                print(json.dumps({'thread': threading.get_native_id()}), flush=True)
                time.sleep(3600)
            threading.Thread(target=run, daemon=True).start()
            continue
        child = os.fork()
        if child == 0:
            while True:
                time.sleep(3600)
        print(json.dumps({'spawned': child}), flush=True)
while True:
    time.sleep(3600)
