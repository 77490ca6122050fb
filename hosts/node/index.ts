/* The Node host: everything the core needs, on Node built-ins. */
export { NodeUdp, type NodeUdpOptions } from "./udp";
export { NodeClock, type NodeClockOptions } from "./clock";
export { NodeHash } from "./hash";
export { NodeRandom } from "./random";
export { NodeLog, parseLogLevel, type LogSink } from "./log";
export { JsonFileStorage } from "./storage";
