# Listeners node cannot make (node 20 has no SO_REUSEPORT and cannot bind without
# listening). One JSON argument: {host, port, reusePort, bindOnly}. Prints one JSON
# line {"ready":true,"pid":...,"pids":[...],"port":...} once set up.
import json, os, signal, socket, sys, time

options = json.loads(sys.argv[1] if len(sys.argv) > 1 else '{}')
host = options.get('host', '127.0.0.1')
family = socket.AF_INET6 if ':' in host else socket.AF_INET
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
