/*
 * doorsip-meter: see doorsip-meter.h. This file includes the engine's private
 * xsAll.h to read txMachine fields; the rest of the worker uses the public
 * xs.h API only.
 */
#include "xsAll.h"
#include "doorsip-meter.h"

#ifndef mxInstrument
	#error "doorsip-meter needs mxInstrument (for garbageCollectionCount)"
#endif
#ifndef mxMetering
	#error "doorsip-meter needs mxMetering (for meterIndex)"
#endif

/* Write a number into the result slot in place: no slot, no chunk. */
static void doorsip_returnNumber(txMachine* the, txNumber value)
{
	mxResult->kind = XS_NUMBER_KIND;
	mxResult->value.number = value;
}

void doorsip_meterHeapCount(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->currentHeapCount);
}

void doorsip_meterChunksSize(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->currentChunksSize);
}

void doorsip_meterPeakHeapCount(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->peakHeapCount);
}

void doorsip_meterResetPeaks(txMachine* the)
{
	the->peakHeapCount = the->currentHeapCount;
	the->peakChunksSize = the->currentChunksSize;
}

void doorsip_meterPeakChunksSize(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->peakChunksSize);
}

void doorsip_meterGCCount(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->garbageCollectionCount);
}

void doorsip_meterCompute(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->meterIndex);
}

void doorsip_meterResetCompute(txMachine* the)
{
	the->meterIndex = 0;
}

void doorsip_meterSlotSize(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)sizeof(txSlot));
}

void doorsip_meterChunkHeaderSize(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)sizeof(txChunk));
}

void doorsip_meterHeapCapacity(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->maximumHeapCount);
}

void doorsip_meterChunksCapacity(txMachine* the)
{
	doorsip_returnNumber(the, (txNumber)the->maximumChunksSize);
}

int doorsip_machineAbortStatus(txMachine* the)
{
	return the->abortStatus;
}
