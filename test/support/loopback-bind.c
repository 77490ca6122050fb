/*
 * loopback-bind.so: an LD_PRELOAD shim that keeps a peer's sockets on
 * loopback. The interop rule is that every third-party peer a test starts
 * listens on 127.0.0.1 only; Twinkle 1.10.2 has no bind address setting
 * (its t_socket_udp and t_socket_tcp bind INADDR_ANY, and so do the RTP
 * sessions it opens through ccRTP), so bind(2) is wrapped here:
 *
 * - AF_INET, INADDR_ANY    -> 127.0.0.1 (the port is kept);
 * - AF_INET6, in6addr_any  -> ::1 (Twinkle is IPv4 only; a library that
 *   opens an IPv6 socket anyway stays on loopback too);
 * - anything else (a specific address, AF_LOCAL, netlink) is passed on
 *   unchanged.
 *
 * Built by test/support/peers.ts (loopbackBindShim()) at test time:
 *   cc -shared -fPIC -O2 -o loopback-bind.so loopback-bind.c -ldl
 * and set in LD_PRELOAD of the peer's environment only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
	/* libc's bind, the next definition after this one. */
	static bind_fn next = NULL;
	if (next == NULL) next = (bind_fn)dlsym(RTLD_NEXT, "bind");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (addr != NULL && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in4;
		memcpy(&in4, addr, sizeof in4);
		if (in4.sin_addr.s_addr == htonl(INADDR_ANY)) {
			in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			return next(fd, (const struct sockaddr *)&in4, sizeof in4);
		}
	} else if (addr != NULL && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, addr, sizeof in6);
		if (memcmp(&in6.sin6_addr, &in6addr_any, sizeof in6.sin6_addr) == 0) {
			in6.sin6_addr = in6addr_loopback;
			return next(fd, (const struct sockaddr *)&in6, sizeof in6);
		}
	}
	return next(fd, addr, len);
}
