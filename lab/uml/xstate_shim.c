/* LD_PRELOAD shim for Debian's linux.uml (6.1) on hosts with a large XSAVE area.
 *
 * UML restores a process's FPU state with PTRACE_SETREGSET(NT_X86_XSTATE) from a
 * buffer sized for legacy + AVX state (832 bytes). Host kernels accept only a whole
 * XSAVE buffer (fpu_user_cfg.max_size: 2.7 KiB with AVX-512, 11 KiB with AMX) and
 * fail anything smaller with EFAULT, so init dies at its first context switch.
 * This shim reads the target's full state, lays UML's bytes over its start and
 * writes the whole buffer back. State beyond UML's 832 bytes (AVX-512, AMX) is then
 * not switched between threads of one address space: the lab's init disables
 * AVX-512 in glibc (GLIBC_TUNABLES) so that the guest's programs do not use it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#define PTRACE_SETREGSET_REQ 0x4205
#define PTRACE_GETREGSET_REQ 0x4204
#define NT_X86_XSTATE_NOTE 0x202
#define FULL_MAX 65536

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

static unsigned char full[FULL_MAX] __attribute__((aligned(64)));

long ptrace(int request, ...)
{
	static ptrace_fn real;
	va_list ap;
	va_start(ap, request);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	if (request == PTRACE_SETREGSET_REQ && (long)addr == NT_X86_XSTATE_NOTE && data) {
		struct iovec *iov = data;
		struct iovec whole = {full, sizeof(full)};
		if (real(PTRACE_GETREGSET_REQ, pid, addr, &whole) == 0 && whole.iov_len > iov->iov_len) {
			memcpy(full, iov->iov_base, iov->iov_len);
			return real(request, pid, addr, &whole);
		}
	}
	return real(request, pid, addr, data);
}
