// The process helper's program (see process-helper.ts): a small Node process that starts programs
// for the server on request and answers with their outcome. It exits when the server goes away
// (its IPC channel closes); programs it started keep running.
import { runToEnd, startMonitor, type MonitorRequest, type RunRequest } from './process-start.js';
import type { HelperReply, HelperRequest } from './process-helper.js';
import { childProcessSpawner, nativeSpawner } from './spawner.js';

// the programs started here are no Node IPC children
delete process.env.NODE_CHANNEL_FD;
delete process.env.NODE_CHANNEL_SERIALIZATION_MODE;

// posix_spawn through skiff's addon where it is built (spawner.ts), else node:child_process;
// SKIFF_PROCESS_SPAWN=child_process chooses the latter (tests, measurements)
const spawner = (process.env.SKIFF_PROCESS_SPAWN !== 'child_process' && nativeSpawner().spawner) || childProcessSpawner;
delete process.env.SKIFF_PROCESS_SPAWN;

process.on('message', (m: HelperRequest) => {
  const done = m.kind === 'run' ? runToEnd(m.req as RunRequest, spawner) : startMonitor(m.req as MonitorRequest, spawner);
  void done.then((result) => {
    const reply: HelperReply = { id: m.id, result };
    if (process.connected) process.send!(reply);
  });
});
process.on('disconnect', () => process.exit(0));
