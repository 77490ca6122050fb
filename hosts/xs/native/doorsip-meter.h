/*
 * doorsip-meter: host functions that read the XS machine's own heap and
 * metering counters. Each returns a plain number (stored straight into the
 * result slot), so calling one allocates neither a slot nor a chunk.
 */
#ifndef __DOORSIP_METER__
#define __DOORSIP_METER__

#include "xs.h"

/* Slots in use (the->currentHeapCount). Only a garbage collection lowers it. */
extern void doorsip_meterHeapCount(xsMachine* the);
/* Chunk bytes in use (the->currentChunksSize), headers and padding included. Only a garbage collection lowers it. */
extern void doorsip_meterChunksSize(xsMachine* the);
/* High-water marks of slots and chunk bytes in use (the->peakHeapCount, the->peakChunksSize). */
extern void doorsip_meterPeakHeapCount(xsMachine* the);
extern void doorsip_meterPeakChunksSize(xsMachine* the);
/* meterResetPeaks(): set both high-water marks to the current figures. */
extern void doorsip_meterResetPeaks(xsMachine* the);
/* Number of garbage collections so far (the->garbageCollectionCount, needs mxInstrument; 16 bits, wraps). */
extern void doorsip_meterGCCount(xsMachine* the);
/* XS's computation meter (the->meterIndex): about one per byte-code executed, plus host-function charges. 32 bits, wraps. */
extern void doorsip_meterCompute(xsMachine* the);
/* meterResetCompute(): set the computation meter back to 0. */
extern void doorsip_meterResetCompute(xsMachine* the);
/* sizeof(txSlot) and sizeof(txChunk) in this build, to explain the figures. */
extern void doorsip_meterSlotSize(xsMachine* the);
extern void doorsip_meterChunkHeaderSize(xsMachine* the);
/* Slots the heap holds (used or free) and chunk bytes reserved: a run that stays below both never collects. */
extern void doorsip_meterHeapCapacity(xsMachine* the);
extern void doorsip_meterChunksCapacity(xsMachine* the);

/* Not a host function: the status xsnapPlatform.c's fxAbort recorded (0 if none). */
extern int doorsip_machineAbortStatus(xsMachine* the);

#endif
