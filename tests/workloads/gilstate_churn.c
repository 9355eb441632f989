// SPDX-License-Identifier: BSD-3-Clause
/*
 * A native thread that calls a Python callback again and again, as C
 * libraries with callbacks do (ctypes, pybind11): each call takes and drops
 * a thread state (PyGILState_Ensure/Release), so thread states are freed
 * and made anew in the same thread, with the same FS base and tid.
 *
 * Built with -nostdlib: pthread_create and pthread_join come from the
 * caller (ctypes), so the library runs with any glibc, in any chroot.
 */
typedef void *(*start_fn)(void *);
typedef int (*create_fn)(unsigned long *thread, const void *attr, start_fn start, void *arg);
typedef int (*join_fn)(unsigned long thread, void **ret);

struct job {
	void (*callback)(int);
	int calls;
};

static void *calls(void *arg)
{
	struct job *job = arg;

	for (int i = 0; i < job->calls; i++)
		job->callback(i);
	return 0;
}

/* Run CALLBACK CALLS times in a new native thread; 0 once it has ended. */
int gilstate_churn(create_fn create, join_fn join, void (*callback)(int), int n)
{
	struct job job = { callback, n };
	unsigned long thread;

	if (create(&thread, 0, calls, &job))
		return -1;
	return join(thread, 0);
}
