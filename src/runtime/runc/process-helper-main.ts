// The process helper's program (see process-helper.ts): a small Node process that starts programs
// for the server on request and answers with their outcome. It exits when the server goes away
// (its IPC channel closes); programs it started keep running.
import { runToEnd, startMonitor, type MonitorRequest, type RunRequest } from './process-start.js';
import type { HelperReply, HelperRequest } from './process-helper.js';

// the programs started here are no Node IPC children
delete process.env.NODE_CHANNEL_FD;
delete process.env.NODE_CHANNEL_SERIALIZATION_MODE;

process.on('message', (m: HelperRequest) => {
  const done = m.kind === 'run' ? runToEnd(m.req as RunRequest) : startMonitor(m.req as MonitorRequest);
  void done.then((result) => {
    const reply: HelperReply = { id: m.id, result };
    if (process.connected) process.send!(reply);
  });
});
process.on('disconnect', () => process.exit(0));
