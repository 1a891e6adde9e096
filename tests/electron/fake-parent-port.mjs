// Loaded (--import) into workers the fake utilityProcess starts: Electron's
// process.parentPort, carried over the fork IPC channel.
import { EventEmitter } from 'node:events';

const port = new EventEmitter();
port.postMessage = (message) => process.send?.(message);
process.on('message', (data) => port.emit('message', { data }));
process.parentPort = port;
