#!/usr/bin/env node
// skiff's single binary: only assembles subcommands.
import { rmSync, writeFileSync } from 'node:fs';
import { FlagError, SERVER_USAGE, parseServerFlags } from './flags.js';
import { startServer } from './server.js';

const USAGE = `Usage: skiff <command> [flags]

Commands:
  server    start the control plane and, as root, a node on this machine
  image     import, list and remove the node's container images
  killall   stop every container of a data dir and remove what skiff made on this machine

Run 'skiff <command> --help' for the flags of a command.
`;

function logLine(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

async function server(argv: string[]): Promise<void> {
  let flags;
  try {
    flags = parseServerFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      if (e.message) process.stderr.write(`skiff server: ${e.message}\n\n`);
      process.stderr.write(SERVER_USAGE);
      process.exit(e.message ? 2 : 0);
    }
    throw e;
  }
  const started = performance.now();
  const running = await startServer(flags, logLine);
  // `skiff killall` finds the server of a data dir by this file.
  const { pidFile } = await import('./killall.js');
  writeFileSync(pidFile(flags.dataDir), `${process.pid}\n`);
  const ms = (performance.now() - started).toFixed(0);
  process.stdout.write(
    `skiff: API server ready on https://${flags.bind}:${running.port} (${ms} ms)\n` +
      `skiff: kubeconfig written to ${running.kubeconfigPath}\n` +
      `skiff: use it with:  export KUBECONFIG=${running.kubeconfigPath}; kubectl get namespaces\n`,
  );
  let stopping = false;
  const shutdown = (sig: string) => {
    if (stopping) return;
    stopping = true;
    logLine(`skiff: ${sig} received, shutting down`);
    const force = setTimeout(() => {
      logLine('skiff: shutdown took longer than 5 s, exiting');
      process.exit(1);
    }, 5000);
    force.unref();
    running.stop().then(
      () => {
        rmSync(pidFile(flags.dataDir), { force: true });
        process.exit(0);
      },
      (e: unknown) => {
        logLine(`skiff: error while stopping: ${String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'server':
      return server(rest);
    case 'image': {
      const { imageCommand } = await import('./image.js');
      process.exitCode = await imageCommand(rest);
      return;
    }
    case 'killall': {
      const { killall } = await import('./killall.js');
      process.exitCode = await killall(rest, (l) => logLine(`skiff killall: ${l}`));
      return;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`skiff: unknown command "${cmd}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main().catch((e: unknown) => {
  logLine(`skiff: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
