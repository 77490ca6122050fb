/*
 * doorsip-xs: a small standalone XS host for doorsip's tests and tools.
 *
 *   doorsip-xs [--slots N] [--chunks BYTES] [--stack N] script.js
 *
 * 1. Creates one XS machine (heap sizes from the options), defines the globals
 *    below, evaluates script.js as a classic script and runs its promise jobs.
 * 2. If the script defined a global handleCommand, reads stdin line by line
 *    (newline-framed, UTF-8, the '\n' removed) and calls handleCommand(line)
 *    for each, running promise jobs after each call, until end of input.
 * 3. Exits 0, or 1 if the script or a command threw (the exception goes to
 *    stderr), or 2 if XS aborted (memory full, stack overflow, ...).
 *
 * stdout is reserved for send(): at start-up the real stdout is kept for it
 * and file descriptor 1 is pointed at stderr, so nothing else (XS's own
 * reports, print()) can corrupt the protocol stream.
 *
 * Globals:
 *   send(string)       write string + "\n" to stdout and flush
 *   print(...values)   write the values, space-separated, + "\n" to stderr
 *   gc()               a full (compacting) garbage collection
 *   exit(code)         flush and exit the process
 *   meterHeapCount(), meterChunksSize(), meterPeakHeapCount(),
 *   meterPeakChunksSize(), meterResetPeaks(), meterGCCount(),
 *   meterCompute(), meterResetCompute(), meterSlotSize(), meterChunkHeaderSize(),
 *   meterHeapCapacity(), meterChunksCapacity()
 *                      see doorsip-meter.h; they return plain numbers and
 *                      allocate nothing
 */
#include "xsnap.h"
#include "doorsip-meter.h"

#include <errno.h>
#include <limits.h>

static FILE* gxOut = NULL;

static void doorsip_send(xsMachine* the)
{
	xsStringValue string = xsToString(xsArg(0));
	fputs(string, gxOut);
	fputc('\n', gxOut);
	fflush(gxOut);
}

static void doorsip_print(xsMachine* the)
{
	xsIntegerValue c = xsToInteger(xsArgc), i;
	for (i = 0; i < c; i++) {
		if (i)
			fputc(' ', stderr);
		fputs(xsToString(xsArg(i)), stderr);
	}
	fputc('\n', stderr);
	fflush(stderr);
}

static void doorsip_gc(xsMachine* the)
{
	xsCollectGarbage();
}

static void doorsip_exit(xsMachine* the)
{
	int code = (xsToInteger(xsArgc) > 0) ? xsToInteger(xsArg(0)) : 0;
	fflush(gxOut);
	fflush(stderr);
	exit(code);
}

static void doorsip_define(xsMachine* the, const char* name, xsCallback callback, xsIntegerValue length)
{
	xsResult = xsNewHostFunction(callback, length);
	xsDefine(xsGlobal, xsID((xsStringValue)name), xsResult, xsDontEnum);
}

static void doorsip_buildGlobals(xsMachine* machine)
{
	xsBeginHost(machine);
	{
		doorsip_define(the, "send", doorsip_send, 1);
		doorsip_define(the, "print", doorsip_print, 1);
		doorsip_define(the, "gc", doorsip_gc, 0);
		doorsip_define(the, "exit", doorsip_exit, 1);
		doorsip_define(the, "meterHeapCount", doorsip_meterHeapCount, 0);
		doorsip_define(the, "meterChunksSize", doorsip_meterChunksSize, 0);
		doorsip_define(the, "meterPeakHeapCount", doorsip_meterPeakHeapCount, 0);
		doorsip_define(the, "meterPeakChunksSize", doorsip_meterPeakChunksSize, 0);
		doorsip_define(the, "meterResetPeaks", doorsip_meterResetPeaks, 0);
		doorsip_define(the, "meterGCCount", doorsip_meterGCCount, 0);
		doorsip_define(the, "meterCompute", doorsip_meterCompute, 0);
		doorsip_define(the, "meterResetCompute", doorsip_meterResetCompute, 0);
		doorsip_define(the, "meterSlotSize", doorsip_meterSlotSize, 0);
		doorsip_define(the, "meterChunkHeaderSize", doorsip_meterChunkHeaderSize, 0);
		doorsip_define(the, "meterHeapCapacity", doorsip_meterHeapCapacity, 0);
		doorsip_define(the, "meterChunksCapacity", doorsip_meterChunksCapacity, 0);
	}
	xsEndHost(machine);
}

/* Print the pending exception to stderr; converting it may itself throw. */
static void doorsip_reportException(xsMachine* the, const char* where)
{
	xsTry {
		fprintf(stderr, "doorsip-xs: uncaught exception in %s: %s\n", where, xsToString(xsException));
	}
	xsCatch {
		fprintf(stderr, "doorsip-xs: uncaught exception in %s (not printable)\n", where);
	}
	fflush(stderr);
	xsException = xsUndefined;
}

static int doorsip_runScript(xsMachine* machine, char* path)
{
	int error = 0;
	xsBeginHost(machine);
	{
		xsTry {
			xsRunProgramFile(path);
		}
		xsCatch {
			doorsip_reportException(the, path);
			error = 1;
		}
	}
	xsEndHost(machine);
	xsRunLoop(machine);
	return error;
}

static int doorsip_hasCommandHandler(xsMachine* machine)
{
	int result = 0;
	xsBeginHost(machine);
	{
		result = xsHas(xsGlobal, xsID("handleCommand")) ? 1 : 0;
	}
	xsEndHost(machine);
	return result;
}

static int doorsip_runCommand(xsMachine* machine, char* line)
{
	int error = 0;
	xsBeginHost(machine);
	{
		xsVars(1);
		xsTry {
			xsVar(0) = xsString(line);
			xsCall1(xsGlobal, xsID("handleCommand"), xsVar(0));
		}
		xsCatch {
			doorsip_reportException(the, "handleCommand");
			error = 1;
		}
	}
	xsEndHost(machine);
	xsRunLoop(machine);
	return error;
}

static int doorsip_abortStatus(xsMachine* machine)
{
	/* xsnapPlatform.c's fxAbort records the reason in the machine. */
	int status = doorsip_machineAbortStatus(machine);
	if (status && (status != xsUnhandledExceptionExit)) {
		fprintf(stderr, "doorsip-xs: XS aborted (status %d)\n", status);
		fflush(stderr);
		return 1;
	}
	return 0;
}

static void doorsip_usage(void)
{
	fprintf(stderr, "usage: doorsip-xs [--slots N] [--chunks BYTES] [--stack N] script.js\n");
}

static int doorsip_parseSize(const char* text, long minimum, long* result)
{
	char* end;
	long value;
	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || (*end != 0) || (value < minimum) || (value > INT_MAX / 2))
		return 0;
	*result = value;
	return 1;
}

int main(int argc, char* argv[])
{
	long slots = 1024 * 1024;             /* 32 MB of slots on a 64-bit host */
	long chunks = 64 * 1024 * 1024;       /* 64 MB of chunks */
	long stack = 16 * 1024;
	char* script = NULL;
	char path[C_PATH_MAX];
	int argi, error = 0, fd;
	xsMachine* machine;

	for (argi = 1; argi < argc; argi++) {
		long* target = NULL;
		long minimum = 0;
		if (!strcmp(argv[argi], "--slots")) { target = &slots; minimum = 4096; }
		else if (!strcmp(argv[argi], "--chunks")) { target = &chunks; minimum = 65536; }
		else if (!strcmp(argv[argi], "--stack")) { target = &stack; minimum = 1024; }
		else if ((argv[argi][0] == '-') || script) { doorsip_usage(); return 64; }
		else { script = argv[argi]; continue; }
		if ((argi + 1 >= argc) || !doorsip_parseSize(argv[argi + 1], minimum, target)) { doorsip_usage(); return 64; }
		argi++;
	}
	if (!script) { doorsip_usage(); return 64; }
	if (!c_realpath(script, path)) {
		fprintf(stderr, "doorsip-xs: cannot find %s: %s\n", script, strerror(errno));
		return 64;
	}

	/* Keep the real stdout for send(); everything else written to fd 1 goes to stderr. */
	fd = dup(1);
	if ((fd < 0) || !(gxOut = fdopen(fd, "w")) || (dup2(2, 1) < 0)) {
		fprintf(stderr, "doorsip-xs: cannot set up stdout: %s\n", strerror(errno));
		return 70;
	}
	signal(SIGPIPE, SIG_IGN);

	{
		xsCreation creation = {
			(xsIntegerValue)chunks,       /* initialChunkSize */
			4 * 1024 * 1024,              /* incrementalChunkSize */
			(xsIntegerValue)slots,        /* initialHeapCount */
			128 * 1024,                   /* incrementalHeapCount */
			(xsIntegerValue)stack,        /* stackCount */
			32000,                        /* initialKeyCount */
			8000,                         /* incrementalKeyCount */
			1993,                         /* nameModulo */
			127,                          /* symbolModulo */
			8 * 1024 * 1024,              /* parserBufferSize */
			1993,                         /* parserTableModulo */
		};
		xsInitializeSharedCluster();
		machine = xsCreateMachine(&creation, "doorsip-xs", NULL);
	}
	if (!machine) {
		fprintf(stderr, "doorsip-xs: cannot create the XS machine\n");
		return 70;
	}
	doorsip_buildGlobals(machine);

	error = doorsip_runScript(machine, path);
	if (doorsip_abortStatus(machine))
		return 2;

	if (!error && doorsip_hasCommandHandler(machine)) {
		char* line = NULL;
		size_t capacity = 0;
		ssize_t length;
		while ((length = getline(&line, &capacity, stdin)) >= 0) {
			while ((length > 0) && ((line[length - 1] == '\n') || (line[length - 1] == '\r')))
				line[--length] = 0;
			if (doorsip_runCommand(machine, line))
				error = 1;
			if (doorsip_abortStatus(machine))
				return 2;
		}
		free(line);
	}

	fflush(gxOut);
	xsDeleteMachine(machine);
	xsTerminateSharedCluster();
	return error;
}
