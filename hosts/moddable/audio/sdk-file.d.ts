/*
 * The SDK-free type check (hosts/moddable/tsconfig.json, which takes
 * ./audio/*.ts) gets the SDK's "file" module (files.ts, the simulator's
 * file audio) from @moddable/typings. mcconfig does not read this file: it
 * compiles files.ts against the SDK's own typings.
 */
/// <reference path="../../../node_modules/@moddable/typings/file.d.ts" />
