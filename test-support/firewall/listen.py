# listen.py ADDRESS PORT...: listen on every port given, on ADDRESS (`::`, with
# IPv4 too, or `0.0.0.0`); never accept (the kernel completes the handshake
# from the backlog). Runs until killed.
import signal
import socket
import sys

address = sys.argv[1]
sockets = []
for port in sys.argv[2:]:
    s = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    if ":" in address:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, int(port)))
    s.listen(16)
    sockets.append(s)
signal.pause()
